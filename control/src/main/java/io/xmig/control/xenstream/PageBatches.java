package io.xmig.control.xenstream;

import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageMapping;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Maps batches of up to {@link XenStreamFormat#MAX_BATCH_PAGES} guest pages with per-page errors, as the stock sender
 * does: a pfn Xen cannot map (a hole in the p2m) fails alone, the rest of the batch maps. Owns the pfn and error
 * arrays, reused for every batch, so a batch allocates nothing per page. Used by one thread.
 */
final class PageBatches implements AutoCloseable {
    private final Arena arena = Arena.ofConfined();
    private final GuestMemory memory;
    private final MemorySegment pfns = arena.allocate(ValueLayout.JAVA_LONG, XenStreamFormat.MAX_BATCH_PAGES);
    private final MemorySegment errors = arena.allocate(ValueLayout.JAVA_INT, XenStreamFormat.MAX_BATCH_PAGES);
    private int count;

    PageBatches(GuestMemory memory) {
        this.memory = memory;
    }

    /** Starts a new batch. */
    void clear() {
        count = 0;
    }

    /** Adds a pfn; false when the batch is full. */
    boolean add(long pfn) {
        if (count == XenStreamFormat.MAX_BATCH_PAGES) return false;
        pfns.setAtIndex(ValueLayout.JAVA_LONG, count++, pfn);
        return true;
    }

    int count() {
        return count;
    }

    long pfn(int i) {
        return pfns.getAtIndex(ValueLayout.JAVA_LONG, i);
    }

    /** Maps the batch read-only; {@link #error} then tells which pages failed. */
    PageMapping map() {
        return memory.map(pfns, count, false, errors);
    }

    /** 0, or the -errno Xen gave page {@code i} of the last {@link #map}. */
    int error(int i) {
        return errors.getAtIndex(ValueLayout.JAVA_INT, i);
    }

    @Override
    public void close() {
        arena.close();
    }
}
