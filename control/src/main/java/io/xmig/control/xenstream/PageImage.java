package io.xmig.control.xenstream;

import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageMapping;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The destination image the stream describes, kept in this process: the last copy of every page the sender put in
 * the stream (a {@link PageObserver}), so that at the pause point it can be compared with a fresh foreign-mapped read
 * of the stopped guest. Sparse over the p2m (a PVH guest's pages sit at both ends of a 4 GiB space): an index of
 * {@code guestPages} longs, page copies in 16 MiB slabs. Used by the sender's thread only; {@link #close} frees it.
 */
public final class PageImage implements PageObserver, AutoCloseable {
    private static final int SLAB_PAGES = 4096;
    private final Arena arena = Arena.ofShared();
    private final long[] slot;
    private final List<MemorySegment> slabs = new ArrayList<>();
    private long used;

    public PageImage(long guestPages) {
        slot = new long[Math.toIntExact(guestPages)];
        Arrays.fill(slot, -1);
    }

    @Override
    public void pageSent(long pfn, MemorySegment page) {
        long s = slot[(int) pfn];
        if (s < 0) {
            s = used++;
            if (s / SLAB_PAGES >= slabs.size()) slabs.add(arena.allocate((long) SLAB_PAGES * GuestMemory.PAGE_SIZE, 4096));
            slot[(int) pfn] = s;
        }
        MemorySegment.copy(page, 0, copy(s), 0, GuestMemory.PAGE_SIZE);
    }

    /** Pages held. */
    public long pages() {
        return used;
    }

    /**
     * Pages that differ between this image and the guest as it is now (which must be stopped): a page the guest has
     * that the image lacks or holds differently, or a page the image holds that the guest no longer maps.
     */
    public long differingPages(GuestMemory guest) {
        long differing = 0;
        try (PageBatches batch = new PageBatches(guest)) {
            for (long first = 0; first < slot.length; first += XenStreamFormat.MAX_BATCH_PAGES) {
                batch.clear();
                for (long pfn = first; pfn < Math.min(slot.length, first + XenStreamFormat.MAX_BATCH_PAGES); pfn++) batch.add(pfn);
                try (PageMapping m = batch.map()) {
                    for (int i = 0; i < batch.count(); i++) {
                        long s = slot[(int) batch.pfn(i)];
                        if (batch.error(i) != 0) {
                            if (s >= 0) differing++;
                        } else if (s < 0 || m.page(i).mismatch(copy(s)) >= 0) {
                            differing++;
                        }
                    }
                }
            }
        }
        return differing;
    }

    private MemorySegment copy(long s) {
        return slabs.get((int) (s / SLAB_PAGES)).asSlice((s % SLAB_PAGES) * GuestMemory.PAGE_SIZE, GuestMemory.PAGE_SIZE);
    }

    @Override
    public void close() {
        arena.close();
    }
}
