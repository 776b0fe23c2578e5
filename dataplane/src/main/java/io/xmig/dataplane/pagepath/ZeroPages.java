package io.xmig.dataplane.pagepath;

import io.xmig.dataplane.hypervisor.GuestMemory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Zero-page detection for the senders: a page that is all zero travels as a flag, without data. Stateless. */
public final class ZeroPages {
    private static final MemorySegment ZERO_PAGE = Arena.global().allocate(GuestMemory.PAGE_SIZE);

    private ZeroPages() {}

    /** Whether page {@code page} of the mapped run {@code run} is all zero (vectorised compare, no allocation). */
    public static boolean isZero(MemorySegment run, int page) {
        long off = (long) page * GuestMemory.PAGE_SIZE;
        return MemorySegment.mismatch(run, off, off + GuestMemory.PAGE_SIZE, ZERO_PAGE, 0, GuestMemory.PAGE_SIZE) == -1;
    }
}
