package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * VERIFY_REQUEST (0x23), source to destination on CONTROL: asks for the {@link PageHash} of pages
 * {@code [firstPfn, firstPfn + count)}. Body (12 bytes): {@code u64 first_pfn · u32 count}, count
 * 1..{@link Protocol#MAX_VERIFY_PAGES}, within the guest. Immutable; any thread.
 */
public record VerifyRequest(long firstPfn, int count) {
    public static final int BODY_BYTES = 12;

    public VerifyRequest {
        if (firstPfn < 0) throw new IllegalArgumentException("firstPfn " + firstPfn);
        if (count < 1 || count > Protocol.MAX_VERIFY_PAGES) throw new IllegalArgumentException("count " + count);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.VERIFY_REQUEST);
        out.writeLong(firstPfn);
        out.writeInt(count);
        Wire.end(out, start);
    }

    /** Decodes and validates against a guest of {@code guestPages} pages ({@link ErrorCode#PAGE_OUT_OF_RANGE}). */
    public static VerifyRequest decode(ByteBuf body, long guestPages) {
        Wire.exactBody(body, FrameType.VERIFY_REQUEST, BODY_BYTES);
        int i = body.readerIndex();
        long first = body.getLong(i);
        long count = body.getUnsignedInt(i + 8);
        if (count < 1 || count > Protocol.MAX_VERIFY_PAGES) {
            throw ProtocolException.malformed("VERIFY_REQUEST count " + count + " outside 1.."
                    + Protocol.MAX_VERIFY_PAGES);
        }
        Wire.pageRange(first, count, guestPages, "VERIFY_REQUEST");
        return new VerifyRequest(first, (int) count);
    }
}
