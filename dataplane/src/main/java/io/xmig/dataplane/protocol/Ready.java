package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * READY (0x22), destination to source on CONTROL, the answer to COMPLETE: every page of every round has been
 * installed and the context applied; {@code pagesReceived} pages arrived in all. Body (8 bytes):
 * {@code u64 pages_received}. Immutable; any thread.
 */
public record Ready(long pagesReceived) {
    public static final int BODY_BYTES = 8;

    public Ready {
        if (pagesReceived < 0) throw new IllegalArgumentException("pagesReceived " + pagesReceived);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.READY);
        out.writeLong(pagesReceived);
        Wire.end(out, start);
    }

    public static Ready decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.READY, BODY_BYTES);
        return new Ready(Wire.u64Long(body, body.readerIndex(), FrameType.READY, "pages_received"));
    }
}
