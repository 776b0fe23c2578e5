package io.xmig.dataplane.hypervisor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One bit per guest page, off-heap, in Xen's bitmap format: page n is bit n % 8 of byte n / 8, least significant
 * bit first (so, read as little-endian 64-bit words, page n is bit n % 64 of word n / 64). The segment is always a
 * whole number of words and the bits past {@link #pages()} stay zero.
 *
 * <p>Not thread-safe: one thread fills or reads a bitmap at a time. Scans allocate nothing.
 */
public class PageBitmap {
    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment bits;
    private final long pages;
    private final long words;

    protected PageBitmap(MemorySegment bits, long pages) {
        long words = wordsFor(pages);
        if (bits.byteSize() < words * Long.BYTES) {
            throw new IllegalArgumentException("bitmap of " + bits.byteSize() + " bytes cannot hold " + pages + " pages");
        }
        this.bits = bits.asSlice(0, words * Long.BYTES);
        this.pages = pages;
        this.words = words;
    }

    /** A zeroed bitmap for {@code pages} pages, owned by {@code arena}. */
    public static PageBitmap allocate(Arena arena, long pages) {
        return new PageBitmap(arena.allocate(bytesFor(pages), Long.BYTES), pages);
    }

    /** Bytes a bitmap for {@code pages} pages occupies: whole 64-bit words. */
    public static long bytesFor(long pages) {
        return wordsFor(pages) * Long.BYTES;
    }

    private static long wordsFor(long pages) {
        if (pages <= 0) throw new IllegalArgumentException("pages must be positive: " + pages);
        return (pages + 63) >>> 6;
    }

    public final long pages() {
        return pages;
    }

    /** The backing memory, as a C caller would receive it. */
    public final MemorySegment segment() {
        return bits;
    }

    public final boolean get(long pfn) {
        checkPfn(pfn);
        return (bits.get(WORD, (pfn >>> 6) * Long.BYTES) & (1L << (pfn & 63))) != 0;
    }

    public final void set(long pfn) {
        checkPfn(pfn);
        long off = (pfn >>> 6) * Long.BYTES;
        bits.set(WORD, off, bits.get(WORD, off) | (1L << (pfn & 63)));
    }

    public final void clear(long pfn) {
        checkPfn(pfn);
        long off = (pfn >>> 6) * Long.BYTES;
        bits.set(WORD, off, bits.get(WORD, off) & ~(1L << (pfn & 63)));
    }

    /** Word {@code w} (pages 64 w .. 64 w + 63, page 64 w + i in bit i). */
    public final long word(long w) {
        return bits.get(WORD, w * Long.BYTES);
    }

    /** Sets the pages of {@code mask} in word {@code w}; bits past {@link #pages()} must not be set. */
    public final void orWord(long w, long mask) {
        long off = w * Long.BYTES;
        bits.set(WORD, off, bits.get(WORD, off) | mask);
    }

    /** Number of 64-page words. */
    public final long words() {
        return words;
    }

    /** Sets every page of the bitmap (bits past {@link #pages()} stay zero). */
    public final void setAll() {
        bits.fill((byte) 0xff);
        long tail = pages & 63;
        if (tail != 0) bits.set(WORD, (words - 1) * Long.BYTES, (1L << tail) - 1);
    }

    public final void clearAll() {
        bits.fill((byte) 0);
    }

    /** The first set page at or after {@code from}, or -1. */
    public final long nextSetBit(long from) {
        if (from >= pages) return -1;
        long w = from >>> 6;
        long word = bits.get(WORD, w * Long.BYTES) & (-1L << (from & 63));
        while (true) {
            if (word != 0) {
                long pfn = (w << 6) + Long.numberOfTrailingZeros(word);
                return pfn < pages ? pfn : -1;
            }
            if (++w == words) return -1;
            word = bits.get(WORD, w * Long.BYTES);
        }
    }

    /** The first clear page at or after {@code from}, or {@link #pages()} if none. */
    public final long nextClearBit(long from) {
        if (from >= pages) return pages;
        long w = from >>> 6;
        long word = ~bits.get(WORD, w * Long.BYTES) & (-1L << (from & 63));
        while (true) {
            if (word != 0) return Math.min(pages, (w << 6) + Long.numberOfTrailingZeros(word));
            if (++w == words) return pages;
            word = ~bits.get(WORD, w * Long.BYTES);
        }
    }

    /** Number of pages set. */
    public final long cardinality() {
        long n = 0;
        for (long w = 0; w < words; w++) n += Long.bitCount(bits.get(WORD, w * Long.BYTES));
        return n;
    }

    /** True when both bitmaps cover the same pages and have the same bits set. */
    public final boolean sameBits(PageBitmap other) {
        return pages == other.pages && bits.mismatch(other.bits) == -1;
    }

    /** The first page set in exactly one of the two bitmaps, or -1. */
    public final long firstDifference(PageBitmap other) {
        if (pages != other.pages) throw new IllegalArgumentException("bitmaps of " + pages + " and " + other.pages + " pages");
        for (long w = 0; w < words; w++) {
            long x = bits.get(WORD, w * Long.BYTES) ^ other.bits.get(WORD, w * Long.BYTES);
            if (x != 0) return (w << 6) + Long.numberOfTrailingZeros(x);
        }
        return -1;
    }

    /** Sets every page that is set in {@code other} (this |= other). */
    public final void or(PageBitmap other) {
        if (pages != other.pages) throw new IllegalArgumentException("bitmaps of " + pages + " and " + other.pages + " pages");
        for (long w = 0; w < words; w++) {
            long off = w * Long.BYTES;
            bits.set(WORD, off, bits.get(WORD, off) | other.bits.get(WORD, off));
        }
    }

    public final void copyFrom(PageBitmap other) {
        if (pages != other.pages) throw new IllegalArgumentException("bitmaps of " + pages + " and " + other.pages + " pages");
        bits.copyFrom(other.bits);
    }

    private void checkPfn(long pfn) {
        if (pfn < 0 || pfn >= pages) throw new IndexOutOfBoundsException("page " + pfn + " of a " + pages + "-page bitmap");
    }

    @Override
    public String toString() {
        return "PageBitmap[" + cardinality() + "/" + pages + " pages]";
    }
}
