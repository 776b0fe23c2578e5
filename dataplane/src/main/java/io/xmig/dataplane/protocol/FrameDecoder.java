package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * Splits a connection's byte stream into {@link Frame}s and enforces the connection-level rules of protocol v1; the
 * first handler of every xmig pipeline, one instance per connection, touched only by its event-loop thread.
 *
 * <p>What it checks, in order, and when:
 * <ol>
 *   <li>As soon as the 4 length bytes are in: {@code length >= 4} ({@link ErrorCode#MALFORMED_FRAME}) and
 *       {@code length <=} the current limit ({@link ErrorCode#FRAME_TOO_LONG}), so an oversized frame is refused
 *       before a byte of its body is buffered. The limit is {@link Protocol#MAX_HANDSHAKE_FRAME} until the
 *       handshake completes, then {@link Protocol#maxFrameLength} of the HELLO's page size (destination) or the
 *       HELLO_ACK's max_frame_length (source).</li>
 *   <li>As soon as the 8 header bytes are in: a known type ({@link ErrorCode#UNEXPECTED_FRAME}), flags 0 and
 *       reserved 0 (MALFORMED_FRAME), the handshake order (on the destination HELLO first, on the source HELLO_ACK
 *       or ERROR first: UNEXPECTED_FRAME; a second HELLO or HELLO_ACK: {@link ErrorCode#DUPLICATE_HANDSHAKE}), the
 *       direction (a frame only the other side sends: UNEXPECTED_FRAME) and, on the destination, the connection's
 *       role ({@link FrameType#allowedOn}: UNEXPECTED_FRAME).</li>
 *   <li>When the whole frame is in: the HELLO (destination) or HELLO_ACK (source) body, decoded here so that
 *       BAD_MAGIC and VERSION_MISMATCH come from the connection's first frame. Other bodies are the consumer's to
 *       decode and validate ({@link PagesFrameReader}, the records' {@code decode}).</li>
 * </ol>
 * A violation throws a {@link ProtocolException} (Netty wraps it in a {@code DecoderException} for
 * {@code exceptionCaught}; {@link ProtocolErrorHandler} answers with ERROR and closes) and the decoder discards
 * everything after it. Frames decoded before the violation are still passed on.
 *
 * <p>Every frame is emitted, HELLO and HELLO_ACK included, as a {@link Frame} whose body is a retained slice of
 * the receive buffer: the handler that receives it owns it and must release it. A frame cut short by the
 * connection closing is dropped silently (nothing emitted; {@code ByteToMessageDecoder} releases its buffer).
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    /** The side of the migration this decoder runs on. */
    public enum Side {
        SOURCE,
        DESTINATION;

        /** The side at the other end of the connection. */
        public Side peer() {
            return this == SOURCE ? DESTINATION : SOURCE;
        }
    }

    private final Side side;
    private int limit = Protocol.MAX_HANDSHAKE_FRAME;
    private volatile Hello hello;          // volatile: session code may read hello() off the event loop
    private volatile HelloAck helloAck;
    private boolean failed;
    /** The header of the frame being buffered has been checked (so it is checked once, not on every read). */
    private boolean headerChecked;

    public FrameDecoder(Side side) {
        this.side = side;
    }

    public Side side() {
        return side;
    }

    /** The HELLO this connection opened with (destination), or null before it arrived and on the source. */
    public Hello hello() {
        return hello;
    }

    /** The HELLO_ACK the destination answered with (source), or null before it arrived and on the destination. */
    public HelloAck helloAck() {
        return helloAck;
    }

    /** Whether this end has received the peer's handshake frame (HELLO on the destination, HELLO_ACK on the source). */
    public boolean handshakeComplete() {
        return side == Side.DESTINATION ? hello != null : helloAck != null;
    }

    /** The largest length field accepted now. */
    public int maxFrameLength() {
        return limit;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        try {
            Frame frame = decodeFrame(in);
            if (frame != null) out.add(frame);
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    private Frame decodeFrame(ByteBuf in) {
        int readable = in.readableBytes();
        if (readable < 4) return null;
        int at = in.readerIndex();
        long length = in.getUnsignedInt(at);
        if (length < Protocol.LENGTH_COUNTED_HEADER_BYTES) {
            throw ProtocolException.malformed("frame length " + length + " is shorter than the 4 header bytes it counts");
        }
        if (length > limit) {
            throw new ProtocolException(ErrorCode.FRAME_TOO_LONG, "frame length " + length + " exceeds the limit of "
                    + limit + (handshakeComplete() ? "" : " before the handshake completes"));
        }
        if (readable < Protocol.HEADER_BYTES) return null;
        FrameType type = FrameType.of(in.getUnsignedByte(at + 4));
        if (!headerChecked) {
            checkHeader(type, in.getUnsignedByte(at + 5), in.getUnsignedShort(at + 6));
            headerChecked = true;
        }
        long frameBytes = 4 + length;
        if (readable < frameBytes) return null;
        headerChecked = false;
        int bodyBytes = (int) length - Protocol.LENGTH_COUNTED_HEADER_BYTES;
        if (type == FrameType.HELLO) {
            Hello h = Hello.decode(in.slice(at + Protocol.HEADER_BYTES, bodyBytes));
            hello = h;
            limit = Protocol.maxFrameLength(h.pageSize());
        } else if (type == FrameType.HELLO_ACK) {
            HelloAck ack = HelloAck.decode(in.slice(at + Protocol.HEADER_BYTES, bodyBytes));
            helloAck = ack;
            limit = ack.maxFrameLength();
        }
        in.skipBytes(Protocol.HEADER_BYTES);
        return new Frame(type, in.readRetainedSlice(bodyBytes));
    }

    private void checkHeader(FrameType type, int flags, int reserved) {
        if (flags != 0) {
            throw ProtocolException.malformed(String.format("%s header flags 0x%02x: v1 defines none", type, flags));
        }
        if (reserved != 0) {
            throw ProtocolException.malformed(String.format("%s header reserved 0x%04x: must be 0", type, reserved));
        }
        if (side == Side.DESTINATION) {
            if (hello == null) {
                if (type != FrameType.HELLO) {
                    throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, type + " before HELLO");
                }
                return;
            }
            if (type == FrameType.HELLO) {
                throw new ProtocolException(ErrorCode.DUPLICATE_HANDSHAKE, "second HELLO on this connection (it "
                        + "opened as " + hello.role() + " " + hello.channelIndex() + ")");
            }
        } else {
            if (helloAck == null) {
                if (type != FrameType.HELLO_ACK && type != FrameType.ERROR) {
                    throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, type + " before HELLO_ACK");
                }
                return;
            }
            if (type == FrameType.HELLO_ACK) {
                throw new ProtocolException(ErrorCode.DUPLICATE_HANDSHAKE, "second HELLO_ACK on this connection");
            }
        }
        if (!type.sentBy(side.peer())) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, type + " is sent by the "
                    + side.name().toLowerCase() + ", never received by it");
        }
        if (hello != null && !type.allowedOn(hello.role())) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, type + " on a " + hello.role() + " connection");
        }
    }
}
