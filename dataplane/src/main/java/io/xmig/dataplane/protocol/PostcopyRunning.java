package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * POSTCOPY_RUNNING (0x42), destination to source on CONTROL: the guest runs at the destination. {@code nanos}: from
 * POSTCOPY_START to the resume; {@code missingPages}: pages the destination lacks at that moment.
 * Body (16 bytes): {@code u64 nanos · u64 missing_pages}. Any thread.
 */
public record PostcopyRunning(long nanos, long missingPages) {
    public static final int BODY_BYTES = 16;

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.POSTCOPY_RUNNING);
        out.writeLong(nanos);
        out.writeLong(missingPages);
        Wire.end(out, start);
    }

    public static PostcopyRunning decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.POSTCOPY_RUNNING, BODY_BYTES);
        int i = body.readerIndex();
        return new PostcopyRunning(Wire.u64Long(body, i, FrameType.POSTCOPY_RUNNING, "nanos"),
                Wire.u64Long(body, i + 8, FrameType.POSTCOPY_RUNNING, "missing_pages"));
    }
}
