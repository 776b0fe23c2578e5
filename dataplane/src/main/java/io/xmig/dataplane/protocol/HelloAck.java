package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * HELLO_ACK (0x02), destination to source: the destination accepts the connection and says the largest
 * {@code length} it will read from now on ({@link Protocol#maxFrameLength} of the negotiated page size in v1).
 * Body (8 bytes): {@code u16 version · u16 reserved · u32 max_frame_length}. Immutable; any thread.
 */
public record HelloAck(int version, int maxFrameLength) {
    public static final int BODY_BYTES = 8;

    /** The acknowledgement a v1 destination sends for {@code hello}. */
    public static HelloAck accepting(Hello hello) {
        return new HelloAck(Protocol.VERSION, Protocol.maxFrameLength(hello.pageSize()));
    }

    public HelloAck {
        if (version < 0 || version > 0xFFFF) throw new IllegalArgumentException("version " + version);
        if (maxFrameLength < 0) throw new IllegalArgumentException("maxFrameLength " + maxFrameLength);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.HELLO_ACK);
        out.writeShort(version);
        out.writeShort(0);
        out.writeInt(maxFrameLength);
        Wire.end(out, start);
    }

    /**
     * Decodes and validates: version 1 ({@link ErrorCode#VERSION_MISMATCH} otherwise, checked before the size),
     * reserved 0, max_frame_length between {@link Protocol#MAX_HANDSHAKE_FRAME} and
     * {@code Protocol.maxFrameLength(Protocol.PAGE_SIZE)}.
     */
    public static HelloAck decode(ByteBuf body) {
        if (body.readableBytes() < 2) Wire.exactBody(body, FrameType.HELLO_ACK, BODY_BYTES);
        int i = body.readerIndex();
        int version = body.getUnsignedShort(i);
        if (version != Protocol.VERSION) {
            throw new ProtocolException(ErrorCode.VERSION_MISMATCH, "HELLO_ACK version " + version
                    + ": the peer speaks protocol version " + version + ", this peer speaks version " + Protocol.VERSION);
        }
        Wire.exactBody(body, FrameType.HELLO_ACK, BODY_BYTES);
        Wire.zero(body.getUnsignedShort(i + 2), FrameType.HELLO_ACK, "reserved");
        long max = body.getUnsignedInt(i + 4);
        long ceiling = Protocol.maxFrameLength(Protocol.PAGE_SIZE);
        if (max < Protocol.MAX_HANDSHAKE_FRAME || max > ceiling) {
            throw ProtocolException.malformed("HELLO_ACK max_frame_length " + max + " outside "
                    + Protocol.MAX_HANDSHAKE_FRAME + ".." + ceiling);
        }
        return new HelloAck(version, (int) max);
    }
}
