package io.xmig.dataplane.hypervisor;

import java.lang.foreign.MemorySegment;

/**
 * A foreign mapping of guest pages into this process: {@link #segment()} is {@code count} pages, the i-th being the
 * i-th page asked for. The mapping is live (it shows the guest's later writes) until {@link #close()} unmaps it;
 * after that the segment must not be touched. Owned by the thread that mapped it.
 */
public final class PageMapping implements AutoCloseable {
    private final MemorySegment segment;
    private final long count;
    private final Unmapper unmapper;
    private boolean closed;

    interface Unmapper {
        void unmap(MemorySegment address, long pages);
    }

    PageMapping(MemorySegment segment, long count, Unmapper unmapper) {
        this.segment = segment;
        this.count = count;
        this.unmapper = unmapper;
    }

    public MemorySegment segment() {
        if (closed) throw new IllegalStateException("mapping already unmapped");
        return segment;
    }

    /** The i-th mapped page. */
    public MemorySegment page(long i) {
        return segment().asSlice(i * GuestMemory.PAGE_SIZE, GuestMemory.PAGE_SIZE);
    }

    public long pages() {
        return count;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        unmapper.unmap(segment, count);
    }
}
