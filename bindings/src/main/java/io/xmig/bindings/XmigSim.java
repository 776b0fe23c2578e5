package io.xmig.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code "xmigsim.h"} bound with FFM: the calls of libxmigsim.so that a real hypervisor does not have
 * (create and destroy simulated domains, install pages into a demand-paged destination, read its fault
 * queue and the workload's counters). One method per C function, same name and arguments; failure is -1
 * with {@link #errno()} set. The {@code xc_*} and {@code xenforeignmemory_*} functions the simulator also
 * exports are called through {@link XenCtrl} and {@link XenForeignMemory} on the same library.
 *
 * <p>Only exists on the simulator: get one from {@link XenLibraries#xmigSim()}, which refuses when
 * {@code xmig.hypervisor=xen}. An instance owns its downcall handles only; domains are destroyed by the
 * caller. Immutable and thread-safe; {@link #errno()} is per thread, like C's errno.
 */
public final class XmigSim {
    /** The version of xmigsim.h these bindings mirror; the library must report the same. */
    public static final int XMIGSIM_ABI_VERSION = 1;

    // xmigsim_domain_create / _create_dest flags
    /** vCPUs do not run until xc_domain_unpause. */
    public static final int XMIGSIM_CREATE_PAUSED = 1 << 0;
    /** Force the synchronous write-protect fallback for log-dirty. */
    public static final int XMIGSIM_TRACK_SYNC_WP = 1 << 1;

    // xmigsim_install_pages / _install_zero_pages flags
    /** A page already present is overwritten (pre-copy: guest paused). */
    public static final int XMIGSIM_INSTALL_OVERWRITE = 0;
    /** A page already present is kept (post-copy: the guest may have written it). */
    public static final int XMIGSIM_INSTALL_IF_MISSING = 1 << 0;

    // xmigsim_tracking_mode
    /** userfaultfd WP_ASYNC + PAGEMAP_SCAN (kernel >= 6.7). */
    public static final int XMIGSIM_TRACKING_ASYNC_WP = 1;
    /** userfaultfd synchronous WP faults, handled by a library thread. */
    public static final int XMIGSIM_TRACKING_SYNC_WP = 2;

    // xmigsim_counters.state
    public static final int XMIGSIM_STATE_RUNNING = 1;
    public static final int XMIGSIM_STATE_PAUSED = 2;
    /** Every vCPU reached its steps= limit. */
    public static final int XMIGSIM_STATE_HALTED = 3;

    /** Buckets of xmigsim_latency_histogram: log-linear over nanoseconds, 8 sub-buckets per power of two. */
    public static final int XMIGSIM_LAT_BUCKETS = 512;

    /** Typecode of the HVM context record that holds the workload spec. */
    public static final int XMIGSIM_HVM_SAVE_CODE_WORKLOAD = 100;

    private final Native.ErrnoCapture capture = new Native.ErrnoCapture();
    private final MethodHandle xmigsim_abi_version;
    private final MethodHandle xmigsim_domain_create;
    private final MethodHandle xmigsim_domain_create_dest;
    private final MethodHandle xmigsim_domain_destroy;
    private final MethodHandle xmigsim_install_pages;
    private final MethodHandle xmigsim_install_zero_pages;
    private final MethodHandle xmigsim_present_bitmap;
    private final MethodHandle xmigsim_fault_fd;
    private final MethodHandle xmigsim_fault_read;
    private final MethodHandle xmigsim_counters;
    private final MethodHandle xmigsim_written_pages;
    private final MethodHandle xmigsim_latency_histogram;
    private final MethodHandle xmigsim_tracking_mode;
    private final MethodHandle xmigsim_guest_write;
    private final MethodHandle xmigsim_discard_pages;
    private final MethodHandle xmigsim_last_error;

    /**
     * Binds every function of libxmigsim.so now and checks its ABI version.
     *
     * @throws IllegalStateException if the library was built from another version of xmigsim.h
     */
    public XmigSim(SymbolLookup libxmigsim) {
        xmigsim_abi_version = Native.downcall(libxmigsim, "xmigsim_abi_version",
                FunctionDescriptor.of(JAVA_INT));
        xmigsim_domain_create = Native.downcallErrno(libxmigsim, "xmigsim_domain_create",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS));
        xmigsim_domain_create_dest = Native.downcallErrno(libxmigsim, "xmigsim_domain_create_dest",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS));
        xmigsim_domain_destroy = Native.downcallErrno(libxmigsim, "xmigsim_domain_destroy",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        xmigsim_install_pages = Native.downcallErrno(libxmigsim, "xmigsim_install_pages",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_INT));
        xmigsim_install_zero_pages = Native.downcallErrno(libxmigsim, "xmigsim_install_zero_pages",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
        xmigsim_present_bitmap = Native.downcallErrno(libxmigsim, "xmigsim_present_bitmap",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        xmigsim_fault_fd = Native.downcallErrno(libxmigsim, "xmigsim_fault_fd",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        xmigsim_fault_read = Native.downcallErrno(libxmigsim, "xmigsim_fault_read",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        xmigsim_counters = Native.downcallErrno(libxmigsim, "xmigsim_counters",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        xmigsim_written_pages = Native.downcallErrno(libxmigsim, "xmigsim_written_pages",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        xmigsim_latency_histogram = Native.downcallErrno(libxmigsim, "xmigsim_latency_histogram",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        xmigsim_tracking_mode = Native.downcallErrno(libxmigsim, "xmigsim_tracking_mode",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        xmigsim_guest_write = Native.downcallErrno(libxmigsim, "xmigsim_guest_write",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        xmigsim_discard_pages = Native.downcallErrno(libxmigsim, "xmigsim_discard_pages",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG));
        xmigsim_last_error = Native.downcall(libxmigsim, "xmigsim_last_error",
                FunctionDescriptor.of(ADDRESS));
        int version = xmigsim_abi_version();
        if (version != XMIGSIM_ABI_VERSION) {
            throw new IllegalStateException("libxmigsim.so has ABI version " + version + ", these bindings mirror "
                    + XMIGSIM_ABI_VERSION + ": rebuild the library (mvn -pl native compile) and the bindings together");
        }
    }

    /** errno as set by this thread's last call through this instance (0 before the first), like C's errno. */
    public int errno() {
        return capture.errno();
    }

    /** {@code int xmigsim_abi_version(void)} */
    public int xmigsim_abi_version() {
        try {
            return (int) xmigsim_abi_version.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int xmigsim_domain_create(xc_interface *xch, uint64_t pages, const char *workload, uint64_t seed,
     * unsigned int flags, uint32_t *domid)}: a domain of {@code pages} pages running {@code workload}
     * (a NUL-terminated string, grammar in docs/WORKLOADS.md); its id is written to {@code *domid}.
     */
    public int xmigsim_domain_create(MemorySegment xch, long pages, MemorySegment workload, long seed, int flags,
                                     MemorySegment domid) {
        try {
            return (int) xmigsim_domain_create.invokeExact(capture.segment(), xch, pages, workload, seed, flags, domid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int xmigsim_domain_create_dest(xc_interface *xch, uint64_t pages, unsigned int flags, uint32_t *domid)}:
     * a paused destination domain whose pages are all missing.
     */
    public int xmigsim_domain_create_dest(MemorySegment xch, long pages, int flags, MemorySegment domid) {
        try {
            return (int) xmigsim_domain_create_dest.invokeExact(capture.segment(), xch, pages, flags, domid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xmigsim_domain_destroy(xc_interface *xch, uint32_t domid)} */
    public int xmigsim_domain_destroy(MemorySegment xch, int domid) {
        try {
            return (int) xmigsim_domain_destroy.invokeExact(capture.segment(), xch, domid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code long xmigsim_install_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count,
     * const void *src, unsigned int flags)}: pages written from {@code src} ({@code count * XC_PAGE_SIZE} bytes).
     */
    public long xmigsim_install_pages(MemorySegment xch, int domid, long first_pfn, long count, MemorySegment src,
                                      int flags) {
        try {
            return (long) xmigsim_install_pages.invokeExact(capture.segment(), xch, domid, first_pfn, count, src, flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code long xmigsim_install_zero_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count, unsigned int flags)} */
    public long xmigsim_install_zero_pages(MemorySegment xch, int domid, long first_pfn, long count, int flags) {
        try {
            return (long) xmigsim_install_zero_pages.invokeExact(capture.segment(), xch, domid, first_pfn, count, flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code long xmigsim_present_bitmap(xc_interface *xch, uint32_t domid, uint8_t *bitmap, uint64_t pages)}: pages present. */
    public long xmigsim_present_bitmap(MemorySegment xch, int domid, MemorySegment bitmap, long pages) {
        try {
            return (long) xmigsim_present_bitmap.invokeExact(capture.segment(), xch, domid, bitmap, pages);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xmigsim_fault_fd(xc_interface *xch, uint32_t domid)}: an eventfd owned by the domain; do not close it. */
    public int xmigsim_fault_fd(MemorySegment xch, int domid) {
        try {
            return (int) xmigsim_fault_fd.invokeExact(capture.segment(), xch, domid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code long xmigsim_fault_read(xc_interface *xch, uint32_t domid, uint64_t *pfns, uint64_t max)}: faults dequeued, 0 if none. */
    public long xmigsim_fault_read(MemorySegment xch, int domid, MemorySegment pfns, long max) {
        try {
            return (long) xmigsim_fault_read.invokeExact(capture.segment(), xch, domid, pfns, max);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xmigsim_counters(xc_interface *xch, uint32_t domid, struct xmigsim_counters *out)}; see {@link XmigSimCounters}. */
    public int xmigsim_counters(MemorySegment xch, int domid, MemorySegment out) {
        try {
            return (int) xmigsim_counters.invokeExact(capture.segment(), xch, domid, out);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code long xmigsim_written_pages(xc_interface *xch, uint32_t domid, uint8_t *bitmap, uint64_t pages, int clear)}:
     * the distinct pages the workload wrote since the last clear.
     */
    public long xmigsim_written_pages(MemorySegment xch, int domid, MemorySegment bitmap, long pages, int clear) {
        try {
            return (long) xmigsim_written_pages.invokeExact(capture.segment(), xch, domid, bitmap, pages, clear);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xmigsim_latency_histogram(xc_interface *xch, uint32_t domid, uint64_t *buckets, uint32_t nbuckets, int clear)} */
    public int xmigsim_latency_histogram(MemorySegment xch, int domid, MemorySegment buckets, int nbuckets, int clear) {
        try {
            return (int) xmigsim_latency_histogram.invokeExact(capture.segment(), xch, domid, buckets, nbuckets, clear);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xmigsim_tracking_mode(xc_interface *xch, uint32_t domid)}: an XMIGSIM_TRACKING_* value, or -1. */
    public int xmigsim_tracking_mode(MemorySegment xch, int domid) {
        try {
            return (int) xmigsim_tracking_mode.invokeExact(capture.segment(), xch, domid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int xmigsim_guest_write(xc_interface *xch, uint32_t domid, const uint64_t *pfns, uint64_t count)}: the
     * guest writes one word in each listed page, through the vCPUs' view (log-dirty sees it). 0 or -1.
     */
    public int xmigsim_guest_write(MemorySegment xch, int domid, MemorySegment pfns, long count) {
        try {
            return (int) xmigsim_guest_write.invokeExact(capture.segment(), xch, domid, pfns, count);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code const char *xmigsim_last_error(void)}: why this thread's last xmigsim_ call failed, or "". */
    public String xmigsim_last_error() {
        try {
            MemorySegment s = (MemorySegment) xmigsim_last_error.invokeExact();
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code long xmigsim_discard_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count)}: makes
     * a destination's pages missing again; the number that were present, or -1.
     */
    public long xmigsim_discard_pages(MemorySegment xch, int domid, long first_pfn, long count) {
        try {
            return (long) xmigsim_discard_pages.invokeExact(capture.segment(), xch, domid, first_pfn, count);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
