package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.util.Objects;

/**
 * ABORT (0x30), source to destination on any connection: the source gives up the migration; the destination
 * discards the incoming guest and closes the session's connections. Body: {@code u16 length · UTF-8 reason}, at most
 * {@link Protocol#MAX_MESSAGE_BYTES}: a longer reason is cut to that many bytes at a character boundary when the
 * record is built (it is text for logs, and a sender should not fail over its length). Immutable; any thread.
 */
public record Abort(String reason) {
    public Abort {
        reason = Wire.limitUtf8(Objects.requireNonNull(reason, "reason"), Protocol.MAX_MESSAGE_BYTES);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.ABORT);
        Wire.writeMessage(out, Wire.utf8(reason));
        Wire.end(out, start);
    }

    /** Decodes and validates: length at most 1024 and equal to the rest of the body, valid UTF-8. */
    public static Abort decode(ByteBuf body) {
        return new Abort(Wire.readMessage(body, body.readerIndex(), FrameType.ABORT));
    }
}
