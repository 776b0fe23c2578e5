package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * RESUMED (0x26), destination to source on CONTROL: the guest runs on the destination; {@code nanos} is the time
 * the destination spent from receiving COMPLETE to unpausing it (its share of the downtime). Body (8 bytes):
 * {@code u64 nanos}. Immutable; any thread.
 */
public record Resumed(long nanos) {
    public static final int BODY_BYTES = 8;

    public Resumed {
        if (nanos < 0) throw new IllegalArgumentException("nanos " + nanos);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.RESUMED);
        out.writeLong(nanos);
        Wire.end(out, start);
    }

    public static Resumed decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.RESUMED, BODY_BYTES);
        return new Resumed(Wire.u64Long(body, body.readerIndex(), FrameType.RESUMED, "nanos"));
    }
}
