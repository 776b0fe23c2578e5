package io.xmig.dataplane.heat;

import io.xmig.dataplane.hypervisor.PageBitmap;

import java.lang.foreign.Arena;

/**
 * Splits the pages into a <em>hot</em> cluster and the rest from their {@link PageHeat}, once per epoch, at a cost of
 * O(pages just written + pages already hot) (plus one pass over the hot bitmap's words).
 *
 * <p>The method (why: docs/POLICIES.md, "Hot pages"): a page's features are its frequency f (epochs with a write
 * among the last 8) and its recency r (epochs since its last write). The pages the latest CLEAN reported, and the
 * pages hot until now (so a quiet epoch does not erase the clusters), are histogrammed by f (9 bins) and split in two by exact 1-D 2-means on that histogram (Otsu's threshold: the split that
 * maximises the between-class variance, which is the k = 2 k-means optimum in one dimension). A page is hot when
 * {@code f >= threshold} and {@code r <= 1}: written in the latest or the previous epoch, and often. The threshold is
 * never below {@link #MIN_HOT_FREQUENCY}, so a page written once, or twice by chance, is never hot; when every
 * reported page has the same frequency (nothing to split) the threshold is that frequency if it is at least
 * {@link #MIN_HOT_FREQUENCY}, else nothing is hot.
 *
 * <p>The hot set is kept as a bitmap and updated incrementally: pages that cooled down (not written for two epochs,
 * or below a raised threshold) are dropped while walking the old set, pages just written are tested. Owned by the
 * session's thread; allocates nothing per page.
 */
public final class HeatClusters {
    /** Fewest epochs (of the last 8) with a write that make a page hot. */
    public static final int MIN_HOT_FREQUENCY = 2;
    /** A hot page was written at most this many epochs ago. */
    public static final int MAX_HOT_RECENCY = 1;

    private final PageBitmap hot;
    private final long[] histogram = new long[PageHeat.WINDOW + 1];
    private long hotPages;
    private int threshold = Integer.MAX_VALUE;

    public HeatClusters(Arena arena, long pages) {
        this.hot = PageBitmap.allocate(arena, pages);
    }

    /**
     * Re-clusters after {@code heat} observed {@code dirtied} (its latest epoch). Returns the hot cluster's size.
     */
    public long update(PageHeat heat, PageBitmap dirtied) {
        java.util.Arrays.fill(histogram, 0);
        long words = dirtied.words();
        for (long w = 0; w < words; w++) {
            for (long bits = dirtied.word(w); bits != 0; bits &= bits - 1) {
                histogram[heat.frequency((w << 6) + Long.numberOfTrailingZeros(bits))]++;
            }
            for (long bits = hot.word(w) & ~dirtied.word(w); bits != 0; bits &= bits - 1) {   // hot, not written now
                histogram[heat.frequency((w << 6) + Long.numberOfTrailingZeros(bits))]++;
            }
        }
        threshold = threshold(histogram);
        long n = 0;
        for (long w = 0, hw = hot.words(); w < hw; w++) {          // drop the pages that cooled down
            for (long b = hot.word(w); b != 0; b &= b - 1) {
                long pfn = (w << 6) + Long.numberOfTrailingZeros(b);
                if (!isHot(heat, pfn)) hot.clear(pfn);
            }
        }
        for (long w = 0; w < words; w++) {                          // and add the ones just written that are hot
            long add = 0;
            for (long bits = dirtied.word(w); bits != 0; bits &= bits - 1) {
                long pfn = (w << 6) + Long.numberOfTrailingZeros(bits);
                if (isHot(heat, pfn)) add |= 1L << (pfn & 63);
            }
            if (add != 0) hot.orWord(w, add);
        }
        for (long w = 0, hw = hot.words(); w < hw; w++) n += Long.bitCount(hot.word(w));
        hotPages = n;
        return n;
    }

    private boolean isHot(PageHeat heat, long pfn) {
        return heat.recency(pfn) <= MAX_HOT_RECENCY && heat.frequency(pfn) >= threshold;
    }

    /**
     * The frequency from which a page is hot, for a histogram of frequencies (index = frequency): Otsu's threshold
     * (exact 2-means in one dimension), at least {@link #MIN_HOT_FREQUENCY}; {@link Integer#MAX_VALUE} when nothing
     * can be hot. Package-private for the tests.
     */
    static int threshold(long[] histogram) {
        long total = 0;
        double sum = 0;
        int populated = 0, only = -1;
        for (int f = 0; f < histogram.length; f++) {
            total += histogram[f];
            sum += (double) f * histogram[f];
            if (histogram[f] > 0) { populated++; only = f; }
        }
        if (total == 0) return Integer.MAX_VALUE;
        if (populated == 1) return only >= MIN_HOT_FREQUENCY ? only : Integer.MAX_VALUE;
        long w0 = 0;
        double sum0 = 0, best = -1;
        int split = Integer.MAX_VALUE;
        for (int t = 1; t < histogram.length; t++) {                // class 0: f < t, class 1: f >= t
            w0 += histogram[t - 1];
            sum0 += (double) (t - 1) * histogram[t - 1];
            long w1 = total - w0;
            if (w0 == 0 || w1 == 0) continue;
            double m0 = sum0 / w0, m1 = (sum - sum0) / w1;
            double between = (double) w0 * w1 * (m0 - m1) * (m0 - m1);
            if (between > best) { best = between; split = t; }
        }
        return split == Integer.MAX_VALUE ? Integer.MAX_VALUE : Math.max(split, MIN_HOT_FREQUENCY);
    }

    /** The hot cluster: pages set here are hot. Read-only for callers; changes at each {@link #update}. */
    public PageBitmap hot() {
        return hot;
    }

    /** Pages in the hot cluster after the latest {@link #update}. */
    public long hotPages() {
        return hotPages;
    }

    /** The frequency threshold the latest {@link #update} chose ({@link Integer#MAX_VALUE}: nothing is hot). */
    public int threshold() {
        return threshold;
    }
}
