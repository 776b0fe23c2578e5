package io.xmig.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The part of {@code <xenctrl.h>} (Xen 4.17, {@code libxenctrl.so.4.17}) that xmig calls, bound with FFM:
 * one method per C function, same name, same arguments, same return value (NULL is
 * {@link MemorySegment#NULL}, failure is -1 or NULL with {@link #errno()} set), and the constants of
 * {@code <xenctrl.h>} and {@code <xen/domctl.h>} under their C names. Struct layouts are in
 * {@link XcDomainInfo}, {@link XcShadowOpStats} and {@link XcHypercallBuffer}.
 *
 * <p>An instance owns the downcall handles of one loaded library (the real libxenctrl, or libxmigsim.so,
 * which exports the same functions; see {@link XenLibraries}), and nothing else: the {@code xc_interface *}
 * handles it returns are the caller's to close. Handles are immutable, so an instance may be shared by any
 * number of threads; {@link #errno()} is per thread, like C's errno.
 *
 * <p>Never pass {@link #XC_OPENFLAG_DUMMY}: a hypercall on a DUMMY handle crashes the JVM.
 */
public final class XenCtrl {
    // <xenctrl.h>
    public static final int XC_PAGE_SHIFT = 12;
    public static final long XC_PAGE_SIZE = 1L << XC_PAGE_SHIFT;
    /** Do not actually open the interface; any hypercall on such a handle segfaults. Never used by xmig. */
    public static final int XC_OPENFLAG_DUMMY = 1 << 0;
    public static final int XC_OPENFLAG_NON_REENTRANT = 1 << 1;

    // <xen/domctl.h>: xc_shadow_control / xc_logdirty_control sop
    public static final int XEN_DOMCTL_SHADOW_OP_OFF = 0;
    public static final int XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY = 2;
    /** Read the dirty bitmap and clear it. */
    public static final int XEN_DOMCTL_SHADOW_OP_CLEAN = 11;
    /** Read the dirty bitmap, leave it. */
    public static final int XEN_DOMCTL_SHADOW_OP_PEEK = 12;
    /** Enable with the XEN_DOMCTL_SHADOW_ENABLE_* flags in mode. */
    public static final int XEN_DOMCTL_SHADOW_OP_ENABLE = 32;
    // mode of XEN_DOMCTL_SHADOW_OP_ENABLE
    public static final int XEN_DOMCTL_SHADOW_ENABLE_LOG_DIRTY = 1 << 2;
    // mode of XEN_DOMCTL_SHADOW_OP_CLEAN / PEEK: the last pass, domain paused
    public static final int XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL = 1 << 0;

    // <xen/domctl.h>: bits of xc_domaininfo_t.flags
    public static final int XEN_DOMINF_dying = 1 << 0;
    public static final int XEN_DOMINF_hvm_guest = 1 << 1;
    public static final int XEN_DOMINF_shutdown = 1 << 2;
    public static final int XEN_DOMINF_paused = 1 << 3;
    public static final int XEN_DOMINF_blocked = 1 << 4;
    public static final int XEN_DOMINF_running = 1 << 5;
    public static final int XEN_DOMINF_debugged = 1 << 6;
    public static final int XEN_DOMINF_xs_domain = 1 << 7;
    public static final int XEN_DOMINF_hap = 1 << 8;
    /** The guest's shutdown code is {@code (flags >>> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask}. */
    public static final int XEN_DOMINF_shutdownmask = 255;
    public static final int XEN_DOMINF_shutdownshift = 16;

    private final Native.ErrnoCapture capture = new Native.ErrnoCapture();
    private final MethodHandle xc_interface_open;
    private final MethodHandle xc_interface_close;
    private final MethodHandle xc_domain_getinfolist;
    private final MethodHandle xc_domain_nr_gpfns;
    private final MethodHandle xc_domain_maximum_gpfn;
    private final MethodHandle xc_domain_pause;
    private final MethodHandle xc_domain_unpause;
    private final MethodHandle xc_shadow_control;
    private final MethodHandle xc_logdirty_control;
    private final MethodHandle xc__hypercall_buffer_alloc_pages;
    private final MethodHandle xc__hypercall_buffer_free_pages;
    private final MethodHandle xc_domain_hvm_getcontext;
    private final MethodHandle xc_domain_hvm_setcontext;

    /** Binds every function now, so a library that lacks one fails here rather than mid-migration. */
    public XenCtrl(SymbolLookup libxenctrl) {
        xc_interface_open = Native.downcallErrno(libxenctrl, "xc_interface_open",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        xc_interface_close = Native.downcallErrno(libxenctrl, "xc_interface_close",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        xc_domain_getinfolist = Native.downcallErrno(libxenctrl, "xc_domain_getinfolist",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        xc_domain_nr_gpfns = Native.downcallErrno(libxenctrl, "xc_domain_nr_gpfns",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        xc_domain_maximum_gpfn = Native.downcallErrno(libxenctrl, "xc_domain_maximum_gpfn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        xc_domain_pause = Native.downcallErrno(libxenctrl, "xc_domain_pause",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        xc_domain_unpause = Native.downcallErrno(libxenctrl, "xc_domain_unpause",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        xc_shadow_control = Native.downcallErrno(libxenctrl, "xc_shadow_control",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        xc_logdirty_control = Native.downcallErrno(libxenctrl, "xc_logdirty_control",
                FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS));
        xc__hypercall_buffer_alloc_pages = Native.downcallErrno(libxenctrl, "xc__hypercall_buffer_alloc_pages",
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT));
        xc__hypercall_buffer_free_pages = Native.downcall(libxenctrl, "xc__hypercall_buffer_free_pages",
                FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT));
        xc_domain_hvm_getcontext = Native.downcallErrno(libxenctrl, "xc_domain_hvm_getcontext",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
        xc_domain_hvm_setcontext = Native.downcallErrno(libxenctrl, "xc_domain_hvm_setcontext",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    }

    /** errno as set by this thread's last call through this instance (0 before the first), like C's errno. */
    public int errno() {
        return capture.errno();
    }

    /**
     * {@code xc_interface_open(NULL, NULL, 0)}: a control interface logging to stderr, or
     * {@link HypervisorUnavailableException} naming the errno and the way to the simulator.
     */
    public MemorySegment openInterface() {
        MemorySegment xch = xc_interface_open(MemorySegment.NULL, MemorySegment.NULL, 0);
        if (xch.equals(MemorySegment.NULL)) {
            int err = errno();
            throw new HypervisorUnavailableException("xc_interface_open failed with " + Errno.name(err)
                    + ": cannot open the Xen privileged command interface /dev/xen/privcmd (this machine is not"
                    + " a Xen dom0, the xen-privcmd module is not loaded, or the process is not root). "
                    + HypervisorUnavailableException.USE_SIMULATOR, err, null);
        }
        return xch;
    }

    /** {@code xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger, unsigned open_flags)}; pass NULL loggers (FFM cannot receive a va_list). */
    public MemorySegment xc_interface_open(MemorySegment logger, MemorySegment dombuild_logger, int open_flags) {
        try {
            return (MemorySegment) xc_interface_open.invokeExact(capture.segment(), logger, dombuild_logger, open_flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_interface_close(xc_interface *xch)} */
    public int xc_interface_close(MemorySegment xch) {
        try {
            return (int) xc_interface_close.invokeExact(capture.segment(), xch);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains, xc_domaininfo_t *info)}: the number of entries filled. */
    public int xc_domain_getinfolist(MemorySegment xch, int first_domain, int max_domains, MemorySegment info) {
        try {
            return (int) xc_domain_getinfolist.invokeExact(capture.segment(), xch, first_domain, max_domains, info);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_domain_nr_gpfns(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns)}: *gpfns = maximum gpfn + 1. */
    public int xc_domain_nr_gpfns(MemorySegment xch, int domid, MemorySegment gpfns) {
        try {
            return (int) xc_domain_nr_gpfns.invokeExact(capture.segment(), xch, domid, gpfns);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_domain_maximum_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns)} */
    public int xc_domain_maximum_gpfn(MemorySegment xch, int domid, MemorySegment gpfns) {
        try {
            return (int) xc_domain_maximum_gpfn.invokeExact(capture.segment(), xch, domid, gpfns);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_domain_pause(xc_interface *xch, uint32_t domid)} */
    public int xc_domain_pause(MemorySegment xch, int domid) {
        try {
            return (int) xc_domain_pause.invokeExact(capture.segment(), xch, domid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_domain_unpause(xc_interface *xch, uint32_t domid)} */
    public int xc_domain_unpause(MemorySegment xch, int domid) {
        try {
            return (int) xc_domain_unpause.invokeExact(capture.segment(), xch, domid);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_shadow_control(xc_interface *xch, uint32_t domid, unsigned int sop, unsigned int *mb, unsigned int mode)}; mb may be NULL. */
    public int xc_shadow_control(MemorySegment xch, int domid, int sop, MemorySegment mb, int mode) {
        try {
            return (int) xc_shadow_control.invokeExact(capture.segment(), xch, domid, sop, mb, mode);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code long long xc_logdirty_control(xc_interface *xch, uint32_t domid, unsigned int sop,
     * xc_hypercall_buffer_t *dirty_bitmap, unsigned long pages, unsigned int mode, xc_shadow_op_stats_t *stats)}:
     * the number of pages the bitmap covers, or -1. {@code dirty_bitmap} is the address of an
     * {@link XcHypercallBuffer} filled by {@link #xc__hypercall_buffer_alloc_pages}; stats may be NULL.
     */
    public long xc_logdirty_control(MemorySegment xch, int domid, int sop, MemorySegment dirty_bitmap, long pages,
                                    int mode, MemorySegment stats) {
        try {
            return (long) xc_logdirty_control.invokeExact(capture.segment(), xch, domid, sop, dirty_bitmap, pages, mode, stats);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code void *xc__hypercall_buffer_alloc_pages(xc_interface *xch, xc_hypercall_buffer_t *b, int nr_pages)}:
     * hypercall-safe pages, also stored in {@code b->hbuf}; a zero-length segment, reinterpret it to
     * {@code nr_pages * XC_PAGE_SIZE}. Initialise {@code b} with {@link XcHypercallBuffer#declare} first.
     */
    public MemorySegment xc__hypercall_buffer_alloc_pages(MemorySegment xch, MemorySegment b, int nr_pages) {
        try {
            return (MemorySegment) xc__hypercall_buffer_alloc_pages.invokeExact(capture.segment(), xch, b, nr_pages);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code void xc__hypercall_buffer_free_pages(xc_interface *xch, xc_hypercall_buffer_t *b, int nr_pages)} */
    public void xc__hypercall_buffer_free_pages(MemorySegment xch, MemorySegment b, int nr_pages) {
        try {
            xc__hypercall_buffer_free_pages.invokeExact(xch, b, nr_pages);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int xc_domain_hvm_getcontext(xc_interface *xch, uint32_t domid, uint8_t *ctxt_buf, uint32_t size)}:
     * bytes written; with a NULL buffer, the size the context needs. Records start with an {@link HvmSaveDescriptor}.
     */
    public int xc_domain_hvm_getcontext(MemorySegment xch, int domid, MemorySegment ctxt_buf, int size) {
        try {
            return (int) xc_domain_hvm_getcontext.invokeExact(capture.segment(), xch, domid, ctxt_buf, size);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xc_domain_hvm_setcontext(xc_interface *xch, uint32_t domid, uint8_t *hvm_ctxt, uint32_t size)} */
    public int xc_domain_hvm_setcontext(MemorySegment xch, int domid, MemorySegment hvm_ctxt, int size) {
        try {
            return (int) xc_domain_hvm_setcontext.invokeExact(capture.segment(), xch, domid, hvm_ctxt, size);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
