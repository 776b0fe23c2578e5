package io.xmig.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code <xenforeignmemory.h>} ({@code libxenforeignmemory.so.1}) bound with FFM: mapping a domain's pages
 * into this process. One method per C function, same name and arguments; failure is -1 or NULL with
 * {@link #errno()} set.
 *
 * <p>An instance owns the downcall handles of one loaded library (the real one or libxmigsim.so, see
 * {@link XenLibraries}); the handles and mappings it returns are the caller's to unmap and close.
 * Immutable and thread-safe; {@link #errno()} is per thread, like C's errno.
 */
public final class XenForeignMemory {
    // <sys/mman.h>, for prot
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;

    private final Native.ErrnoCapture capture = new Native.ErrnoCapture();
    private final MethodHandle xenforeignmemory_open;
    private final MethodHandle xenforeignmemory_close;
    private final MethodHandle xenforeignmemory_map;
    private final MethodHandle xenforeignmemory_unmap;

    /** Binds every function now, so a library that lacks one fails here. */
    public XenForeignMemory(SymbolLookup libxenforeignmemory) {
        xenforeignmemory_open = Native.downcallErrno(libxenforeignmemory, "xenforeignmemory_open",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        xenforeignmemory_close = Native.downcallErrno(libxenforeignmemory, "xenforeignmemory_close",
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        xenforeignmemory_map = Native.downcallErrno(libxenforeignmemory, "xenforeignmemory_map",
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS, ADDRESS));
        xenforeignmemory_unmap = Native.downcallErrno(libxenforeignmemory, "xenforeignmemory_unmap",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    }

    /** errno as set by this thread's last call through this instance (0 before the first), like C's errno. */
    public int errno() {
        return capture.errno();
    }

    /**
     * {@code xenforeignmemory_open(NULL, 0)}: a handle logging to stderr, or
     * {@link HypervisorUnavailableException} naming the errno and the way to the simulator.
     */
    public MemorySegment openHandle() {
        MemorySegment fmem = xenforeignmemory_open(MemorySegment.NULL, 0);
        if (fmem.equals(MemorySegment.NULL)) {
            int err = errno();
            throw new HypervisorUnavailableException("xenforeignmemory_open failed with " + Errno.name(err)
                    + ": cannot open the Xen privileged command interface /dev/xen/privcmd (this machine is not"
                    + " a Xen dom0, the xen-privcmd module is not loaded, or the process is not root). "
                    + HypervisorUnavailableException.USE_SIMULATOR, err, null);
        }
        return fmem;
    }

    /** {@code xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger, unsigned open_flags)}; pass a NULL logger. */
    public MemorySegment xenforeignmemory_open(MemorySegment logger, int open_flags) {
        try {
            return (MemorySegment) xenforeignmemory_open.invokeExact(capture.segment(), logger, open_flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xenforeignmemory_close(xenforeignmemory_handle *fmem)} */
    public int xenforeignmemory_close(MemorySegment fmem) {
        try {
            return (int) xenforeignmemory_close.invokeExact(capture.segment(), fmem);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code void *xenforeignmemory_map(xenforeignmemory_handle *fmem, uint32_t dom, int prot, size_t pages,
     * const xen_pfn_t arr[], int err[])}: a zero-length segment at the mapping (reinterpret it to
     * {@code pages * XC_PAGE_SIZE}), or NULL. With {@code err} non-NULL the map may succeed partially:
     * {@code err[i]} is 0 or page i's error, and {@link #errno()} is meaningful only if NULL is returned.
     */
    public MemorySegment xenforeignmemory_map(MemorySegment fmem, int dom, int prot, long pages, MemorySegment arr,
                                              MemorySegment err) {
        try {
            return (MemorySegment) xenforeignmemory_map.invokeExact(capture.segment(), fmem, dom, prot, pages, arr, err);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code int xenforeignmemory_unmap(xenforeignmemory_handle *fmem, void *addr, size_t pages)} */
    public int xenforeignmemory_unmap(MemorySegment fmem, MemorySegment addr, long pages) {
        try {
            return (int) xenforeignmemory_unmap.invokeExact(capture.segment(), fmem, addr, pages);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
