package io.xmig.dataplane.heat;

import io.xmig.dataplane.hypervisor.PageBitmap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The write history of every guest page, off-heap, one {@code int} per page, updated from each CLEAN in
 * O(pages the CLEAN reported): bits 0..7 are the page's last {@link #WINDOW} epochs as a shift register (bit 0: written
 * in the epoch of its last write), bits 8..31 the epoch of that last write (0: never written since tracking began).
 * An epoch is one CLEAN. A page the CLEAN did not report is not touched: its register is aged lazily when it is read
 * ({@link #history}), so a round costs nothing for the pages that stayed clean.
 *
 * <p>From it: a page's <em>frequency</em> (epochs with a write among the last {@link #WINDOW}), its <em>recency</em>
 * (epochs since its last write), and the same for each 2 MiB region ({@link #REGION_PAGES} pages), whose register has a
 * bit set for every epoch in which any of its pages was written.
 *
 * <p>Owned by the migration session's thread: {@link #observe} and the readers are not thread-safe. The memory lives
 * in the caller's {@link Arena}.
 */
public final class PageHeat {
    /** Epochs a page's register remembers. */
    public static final int WINDOW = 8;
    /** Pages per region: 2 MiB of 4 KiB pages, the bulk stripe. */
    public static final int REGION_PAGES = 512;
    private static final int HISTORY_MASK = (1 << WINDOW) - 1;
    private static final int MAX_EPOCH = (1 << 24) - 1;
    private static final ValueLayout.OfInt SLOT = ValueLayout.JAVA_INT;

    private final MemorySegment pageSlots;
    private final MemorySegment regionSlots;
    private final long pages;
    private final long regions;
    private int epoch;
    private long lastObserved;

    public PageHeat(Arena arena, long pages) {
        if (pages <= 0) throw new IllegalArgumentException("pages must be positive: " + pages);
        this.pages = pages;
        this.regions = (pages + REGION_PAGES - 1) / REGION_PAGES;
        this.pageSlots = arena.allocate(pages * Integer.BYTES, Integer.BYTES);
        this.regionSlots = arena.allocate(regions * Integer.BYTES, Integer.BYTES);
    }

    /** Bytes of heat state for a guest of {@code pages} pages. */
    public static long bytesFor(long pages) {
        return pages * Integer.BYTES + (pages + REGION_PAGES - 1) / REGION_PAGES * Integer.BYTES;
    }

    /**
     * One CLEAN: a new epoch in which exactly the pages set in {@code dirtied} were written. Walks the set bits only
     * (a word at a time) and allocates nothing. Returns the epoch number, from 1.
     */
    public int observe(PageBitmap dirtied) {
        if (dirtied.pages() != pages) throw new IllegalArgumentException("bitmap of " + dirtied.pages() + " pages, heat of " + pages);
        if (epoch == MAX_EPOCH) throw new IllegalStateException("more than " + MAX_EPOCH + " epochs");
        int e = ++epoch;
        long n = 0;
        long words = dirtied.words();
        long lastRegion = -1;
        for (long w = 0; w < words; w++) {
            long bits = dirtied.word(w);
            while (bits != 0) {
                long pfn = (w << 6) + Long.numberOfTrailingZeros(bits);
                bits &= bits - 1;
                touch(pageSlots, pfn * Integer.BYTES, e);
                long region = pfn / REGION_PAGES;
                if (region != lastRegion) {
                    touch(regionSlots, region * Integer.BYTES, e);
                    lastRegion = region;
                }
                n++;
            }
        }
        lastObserved = n;
        return e;
    }

    private static void touch(MemorySegment slots, long off, int e) {
        int slot = slots.get(SLOT, off);
        int last = slot >>> WINDOW;
        if (last == e) return;
        int shift = e - last;
        int history = shift >= WINDOW ? 0 : (slot & HISTORY_MASK) << shift;
        slots.set(SLOT, off, (e << WINDOW) | ((history | 1) & HISTORY_MASK));
    }

    /** CLEANs observed so far. */
    public int epoch() {
        return epoch;
    }

    /** Pages the latest {@link #observe} reported. */
    public long lastObserved() {
        return lastObserved;
    }

    public long pages() {
        return pages;
    }

    public long regions() {
        return regions;
    }

    /**
     * Page {@code pfn}'s register aged to the current epoch: bit i set when the page was written i epochs ago
     * (bit 0: in the latest epoch), for i below {@link #WINDOW}.
     */
    public int history(long pfn) {
        checkPfn(pfn);
        return aged(pageSlots.get(SLOT, pfn * Integer.BYTES));
    }

    /** Epochs among the last {@link #WINDOW} in which page {@code pfn} was written, 0..8. */
    public int frequency(long pfn) {
        return Integer.bitCount(history(pfn));
    }

    /** Epochs since page {@code pfn} was last written (0: in the latest), or {@link Integer#MAX_VALUE} if never. */
    public int recency(long pfn) {
        checkPfn(pfn);
        int last = pageSlots.get(SLOT, pfn * Integer.BYTES) >>> WINDOW;
        return last == 0 ? Integer.MAX_VALUE : epoch - last;
    }

    /** Region {@code region}'s aged register: bit i when any of its pages was written i epochs ago. */
    public int regionHistory(long region) {
        if (region < 0 || region >= regions) throw new IndexOutOfBoundsException("region " + region + " of " + regions);
        return aged(regionSlots.get(SLOT, region * Integer.BYTES));
    }

    /** Epochs among the last {@link #WINDOW} in which any page of region {@code region} was written. */
    public int regionFrequency(long region) {
        return Integer.bitCount(regionHistory(region));
    }

    /**
     * The writable working set: pages written in at least one of the last {@code window} epochs (1..8). Reads every
     * page's slot: O(guest pages), for reports, not for the per-round path.
     */
    public long workingSetPages(int window) {
        if (window < 1 || window > WINDOW) throw new IllegalArgumentException("window 1.." + WINDOW + ", not " + window);
        int mask = (1 << window) - 1;
        long n = 0;
        for (long p = 0; p < pages; p++) if ((aged(pageSlots.get(SLOT, p * Integer.BYTES)) & mask) != 0) n++;
        return n;
    }

    private int aged(int slot) {
        int last = slot >>> WINDOW;
        if (last == 0) return 0;
        int age = epoch - last;
        return age >= WINDOW ? 0 : (slot << age) & HISTORY_MASK;
    }

    private void checkPfn(long pfn) {
        if (pfn < 0 || pfn >= pages) throw new IndexOutOfBoundsException("page " + pfn + " of " + pages);
    }
}
