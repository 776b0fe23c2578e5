package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.Objects;

/**
 * VERIFY_HASHES (0x24), destination to source on CONTROL, the answer to VERIFY_REQUEST: the {@link PageHash} (XXH64,
 * seed 0) of each page from {@code firstPfn}. Body: {@code u64 first_pfn · u32 count · count × u64}. The record
 * owns its array (callers must not change it); equality compares contents. Any thread.
 */
public record VerifyHashes(long firstPfn, long[] hashes) {
    public static final int FIXED_BYTES = 12;

    public VerifyHashes {
        Objects.requireNonNull(hashes, "hashes");
        if (firstPfn < 0) throw new IllegalArgumentException("firstPfn " + firstPfn);
        if (hashes.length < 1 || hashes.length > Protocol.MAX_VERIFY_PAGES) {
            throw new IllegalArgumentException(hashes.length + " hashes");
        }
    }

    public int count() {
        return hashes.length;
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.VERIFY_HASHES);
        out.writeLong(firstPfn);
        out.writeInt(hashes.length);
        for (long h : hashes) out.writeLong(h);
        Wire.end(out, start);
    }

    /**
     * Decodes and validates: count 1..{@link Protocol#MAX_VERIFY_PAGES}, exactly count hashes, pages within the
     * largest guest v1 allows (the source compares first_pfn and count with its own request).
     */
    public static VerifyHashes decode(ByteBuf body) {
        Wire.minBody(body, FrameType.VERIFY_HASHES, FIXED_BYTES);
        int i = body.readerIndex();
        long first = body.getLong(i);
        long count = body.getUnsignedInt(i + 8);
        if (count < 1 || count > Protocol.MAX_VERIFY_PAGES) {
            throw ProtocolException.malformed("VERIFY_HASHES count " + count + " outside 1.."
                    + Protocol.MAX_VERIFY_PAGES);
        }
        int rest = body.readableBytes() - FIXED_BYTES;
        if (rest != count * Long.BYTES) {
            throw ProtocolException.malformed("VERIFY_HASHES count " + count + " needs " + count * Long.BYTES
                    + " bytes of hashes, the body has " + rest);
        }
        Wire.pageRange(first, count, Protocol.MAX_GUEST_PAGES, "VERIFY_HASHES");
        long[] hashes = new long[(int) count];
        for (int k = 0; k < hashes.length; k++) hashes[k] = body.getLong(i + FIXED_BYTES + k * Long.BYTES);
        return new VerifyHashes(first, hashes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VerifyHashes other && firstPfn == other.firstPfn && Arrays.equals(hashes, other.hashes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(firstPfn) * 31 + Arrays.hashCode(hashes);
    }

    @Override
    public String toString() {
        return "VerifyHashes[firstPfn=" + firstPfn + ", count=" + hashes.length + "]";
    }
}
