package io.xmig.dataplane.protocol;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * XXH64 with seed 0, the page hash of VERIFY_HASHES. Hand-written over {@link MemorySegment} rather than lz4-java's
 * {@code XXHash64}: that one takes a {@code ByteBuffer}, and viewing a guest page as one
 * ({@code segment.asByteBuffer()}) allocates an object per page; this reads the segment in place and allocates
 * nothing. Its output is the reference algorithm's (checked against lz4-java in {@code PageHashTest}). Stateless;
 * any thread.
 */
public final class PageHash {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PageHash() {}

    /** XXH64 (seed 0) of all of {@code page}'s bytes. */
    public static long hash(MemorySegment page) {
        return hash(page, 0, page.byteSize(), 0);
    }

    /** XXH64 with {@code seed} of {@code length} bytes of {@code segment} from {@code offset}. */
    public static long hash(MemorySegment segment, long offset, long length, long seed) {
        long p = offset;
        long end = offset + length;
        long h;
        if (length >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            long limit = end - 32;
            do {
                v1 = round(v1, segment.get(LONG, p));
                v2 = round(v2, segment.get(LONG, p + 8));
                v3 = round(v3, segment.get(LONG, p + 16));
                v4 = round(v4, segment.get(LONG, p + 24));
                p += 32;
            } while (p <= limit);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
            h = merge(h, v1);
            h = merge(h, v2);
            h = merge(h, v3);
            h = merge(h, v4);
        } else {
            h = seed + P5;
        }
        h += length;
        for (; p + 8 <= end; p += 8) {
            h ^= round(0, segment.get(LONG, p));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (p + 4 <= end) {
            h ^= (segment.get(INT, p) & 0xFFFF_FFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            p += 4;
        }
        for (; p < end; p++) {
            h ^= (segment.get(ValueLayout.JAVA_BYTE, p) & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long round(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long merge(long acc, long v) {
        acc ^= round(0, v);
        return acc * P1 + P4;
    }
}
