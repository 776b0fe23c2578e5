package io.xmig.dataplane.hypervisor;

import java.lang.foreign.MemorySegment;

/**
 * One domain's memory: map its pages into this process (source side: read them to send), install pages into it
 * (destination side). Thread-safe: senders and receivers on several threads use one instance.
 */
public interface GuestMemory {
    int PAGE_SHIFT = 12;
    long PAGE_SIZE = 1L << PAGE_SHIFT;

    int domid();

    long pages();

    /** Maps {@code count} contiguous pages from {@code firstPfn}. Fails (ENOENT) if one is missing on a destination. */
    PageMapping mapRun(long firstPfn, int count, boolean writable);

    /**
     * Maps the pages whose numbers are the first {@code count} {@code xen_pfn_t}s of {@code pfns}; where
     * {@code errors} is not null it receives one int per page (0, or -errno for a page left unmapped) and the call
     * succeeds partially, as {@code xenforeignmemory_map} does.
     */
    PageMapping map(MemorySegment pfns, int count, boolean writable, MemorySegment errors);

    /** Installs {@code count} pages from {@code src} ({@code count * PAGE_SIZE} bytes) at {@code firstPfn}. */
    long install(long firstPfn, int count, MemorySegment src, InstallMode mode);

    /** Installs {@code count} zero pages at {@code firstPfn}. */
    long installZero(long firstPfn, int count, InstallMode mode);
}
