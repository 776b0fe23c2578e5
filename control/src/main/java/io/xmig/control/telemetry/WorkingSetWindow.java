package io.xmig.control.telemetry;

import io.xmig.dataplane.hypervisor.PageBitmap;

import java.lang.foreign.Arena;

/**
 * The guest's writable working set over a sliding window: the distinct pages written in the last {@code samples}
 * sampling intervals (docs/POLICIES.md, "predictive": the W of the pre-copy model). Holds one off-heap bitmap per
 * interval in a ring and their union, recomputed word by word on each {@link #add} (O(samples × pages / 64), no
 * allocation). Owned by the sampling thread; memory comes from the arena it is given.
 */
final class WorkingSetWindow {
    private final PageBitmap[] ring;
    private final PageBitmap union;
    private int next, filled;

    WorkingSetWindow(Arena arena, long pages, int samples) {
        if (samples < 1) throw new IllegalArgumentException("a working-set window needs at least one sample");
        ring = new PageBitmap[samples];
        for (int i = 0; i < samples; i++) ring[i] = PageBitmap.allocate(arena, pages);
        union = PageBitmap.allocate(arena, pages);
    }

    /** Adds one interval's written pages and returns the distinct pages written over the window. */
    long add(PageBitmap interval) {
        ring[next].copyFrom(interval);
        next = (next + 1) % ring.length;
        filled = Math.min(ring.length, filled + 1);
        union.clearAll();
        for (int i = 0; i < filled; i++) union.or(ring[i]);
        return union.cardinality();
    }
}
