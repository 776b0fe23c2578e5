package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/**
 * ERROR (0x31), either direction on any connection: the sender refuses something for {@code code}, explained by
 * {@code message}, and closes the connection after it. Body: {@code u16 code · u16 length · UTF-8 message}, at most
 * {@link Protocol#MAX_MESSAGE_BYTES}: a longer message is cut to that many bytes at a character boundary when the
 * record is built. Immutable; any thread.
 *
 * <p>{@link #fitting} builds one whose whole frame fits {@link Protocol#MAX_HANDSHAKE_FRAME}, so the peer can read
 * it whatever state its handshake is in; {@link ProtocolErrorHandler} always sends those.
 */
public record ErrorFrame(ErrorCode code, String message) {
    /** Longest message whose ERROR frame still fits the handshake limit: 256 - 4 (header) - 4 (code, length). */
    public static final int MAX_HANDSHAKE_MESSAGE_BYTES = Protocol.MAX_HANDSHAKE_FRAME - 8;

    public ErrorFrame {
        Objects.requireNonNull(code, "code");
        message = Wire.limitUtf8(Objects.requireNonNull(message, "message"), Protocol.MAX_MESSAGE_BYTES);
    }

    /** An ERROR whose message is cut (at a character boundary) to {@link #MAX_HANDSHAKE_MESSAGE_BYTES}. */
    public static ErrorFrame fitting(ErrorCode code, String message) {
        return new ErrorFrame(code, Wire.limitUtf8(message, MAX_HANDSHAKE_MESSAGE_BYTES));
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.ERROR);
        out.writeShort(code.code());
        Wire.writeMessage(out, Wire.utf8(message));
        Wire.end(out, start);
    }

    /** Decodes and validates: a known code, length at most 1024 and equal to the rest of the body, valid UTF-8. */
    public static ErrorFrame decode(ByteBuf body) {
        Wire.minBody(body, FrameType.ERROR, 4);
        int i = body.readerIndex();
        ErrorCode code = ErrorCode.of(body.getUnsignedShort(i));
        return new ErrorFrame(code, Wire.readMessage(body, i + 2, FrameType.ERROR));
    }
}
