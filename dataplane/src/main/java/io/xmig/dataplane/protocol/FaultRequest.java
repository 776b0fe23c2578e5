package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * FAULT_REQUEST (0x43), destination to source on the FAULT connection: pages destination vCPUs are blocked on.
 * Body: {@code u32 count (1..MAX_FAULT_PAGES) · u32 reserved · count × u64 pfn}. Flyweight-friendly: {@link #decodeInto}
 * fills a caller's array, so the fault path allocates nothing per request.
 */
public final class FaultRequest {
    public static final int FIXED_BYTES = 8;

    private FaultRequest() {}

    /** Writes a FAULT_REQUEST for {@code pfns[0..count)}. */
    public static void encode(ByteBuf out, long[] pfns, int count) {
        if (count < 1 || count > Protocol.MAX_FAULT_PAGES) throw new IllegalArgumentException(count + " pages");
        int start = Wire.begin(out, FrameType.FAULT_REQUEST);
        out.writeInt(count);
        out.writeInt(0);
        for (int k = 0; k < count; k++) out.writeLong(pfns[k]);
        Wire.end(out, start);
    }

    /** Validates (count, length, every pfn within the guest) and copies the pfns into {@code into}; returns count. */
    public static int decodeInto(ByteBuf body, long guestPages, long[] into) {
        Wire.minBody(body, FrameType.FAULT_REQUEST, FIXED_BYTES);
        int i = body.readerIndex();
        long count = body.getUnsignedInt(i);
        Wire.zero(body.getUnsignedInt(i + 4), FrameType.FAULT_REQUEST, "reserved");
        if (count < 1 || count > Protocol.MAX_FAULT_PAGES) {
            throw ProtocolException.malformed("FAULT_REQUEST count " + count + " outside 1.." + Protocol.MAX_FAULT_PAGES);
        }
        if (body.readableBytes() - FIXED_BYTES != count * Long.BYTES) {
            throw ProtocolException.malformed("FAULT_REQUEST count " + count + " disagrees with its " + body.readableBytes() + "-byte body");
        }
        for (int k = 0; k < count; k++) {
            long pfn = body.getLong(i + FIXED_BYTES + k * Long.BYTES);
            Wire.pageRange(pfn, 1, guestPages, "FAULT_REQUEST");
            into[k] = pfn;
        }
        return (int) count;
    }
}
