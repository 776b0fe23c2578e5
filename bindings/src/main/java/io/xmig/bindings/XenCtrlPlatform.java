package io.xmig.bindings;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The part of {@code <xenctrl.h>} a Xen migration stream needs besides memory and the HVM context: HVM parameters,
 * the TSC mode and the guest-suspend undo, as the stock sender ({@code tools/libs/guest/xg_sr_save_x86_hvm.c},
 * {@code xg_sr_common_x86.c}) reads them. Same naming rules as {@link XenCtrl}.
 *
 * <p>These functions exist in the real libxenctrl only; the simulator does not export them, so {@link #bind} answers
 * empty there instead of failing. Immutable, usable from any thread; {@link #errno()} is per thread.
 */
public final class XenCtrlPlatform {
    // <xen/hvm/params.h>: the parameters xg_sr_save_x86_hvm.c writes (those that are non-zero)
    public static final int HVM_PARAM_STORE_PFN = 1;
    public static final int HVM_PARAM_IOREQ_PFN = 5;
    public static final int HVM_PARAM_BUFIOREQ_PFN = 6;
    public static final int HVM_PARAM_VIRIDIAN = 9;
    public static final int HVM_PARAM_IDENT_PT = 12;
    public static final int HVM_PARAM_ACPI_IOPORTS_LOCATION = 19;
    public static final int HVM_PARAM_PAGING_RING_PFN = 27;
    public static final int HVM_PARAM_MONITOR_RING_PFN = 28;
    public static final int HVM_PARAM_SHARING_RING_PFN = 29;
    public static final int HVM_PARAM_CONSOLE_PFN = 17;
    public static final int HVM_PARAM_NR_IOREQ_SERVER_PAGES = 33;
    public static final int HVM_PARAM_VM_GENERATION_ID_ADDR = 34;
    public static final int HVM_PARAM_IOREQ_SERVER_PFN = 32;
    public static final int HVM_PARAM_X87_FIP_WIDTH = 36;
    public static final int HVM_PARAM_VM86_TSS_SIZED = 37;
    public static final int HVM_PARAM_MCA_CAP = 38;

    /** In the order of {@code xg_sr_save_x86_hvm.c}'s {@code write_hvm_params}. */
    public static final int[] MIGRATED_HVM_PARAMS = {
            HVM_PARAM_STORE_PFN, HVM_PARAM_IOREQ_PFN, HVM_PARAM_BUFIOREQ_PFN, HVM_PARAM_PAGING_RING_PFN,
            HVM_PARAM_MONITOR_RING_PFN, HVM_PARAM_SHARING_RING_PFN, HVM_PARAM_VM86_TSS_SIZED, HVM_PARAM_CONSOLE_PFN,
            HVM_PARAM_ACPI_IOPORTS_LOCATION, HVM_PARAM_VIRIDIAN, HVM_PARAM_IDENT_PT, HVM_PARAM_VM_GENERATION_ID_ADDR,
            HVM_PARAM_IOREQ_SERVER_PFN, HVM_PARAM_NR_IOREQ_SERVER_PAGES, HVM_PARAM_X87_FIP_WIDTH, HVM_PARAM_MCA_CAP,
    };

    private final Native.ErrnoCapture capture = new Native.ErrnoCapture();
    private final MethodHandle xc_hvm_param_get;
    private final MethodHandle xc_domain_get_tsc_info;
    private final MethodHandle xc_domain_resume;

    private XenCtrlPlatform(SymbolLookup libxenctrl, SymbolLookup libxenguest) {
        xc_hvm_param_get = Native.downcallErrno(libxenctrl, "xc_hvm_param_get",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        xc_domain_get_tsc_info = Native.downcallErrno(libxenctrl, "xc_domain_get_tsc_info",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        xc_domain_resume = Native.downcallErrno(libxenguest, "xc_domain_resume",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    }

    /**
     * The bindings, or empty when the libraries lack one of the functions (the simulator exports none of them).
     * {@code xc_domain_resume} lives in {@code libxenguest.so.4.17}, the others in libxenctrl.
     */
    public static Optional<XenCtrlPlatform> bind(SymbolLookup libxenctrl, SymbolLookup libxenguest) {
        if (libxenctrl.find("xc_hvm_param_get").isEmpty() || libxenctrl.find("xc_domain_get_tsc_info").isEmpty()
                || libxenguest.find("xc_domain_resume").isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new XenCtrlPlatform(libxenctrl, libxenguest));
    }

    /** {@code libxenguest.so.4.17} as a lookup, or one that finds nothing where it is not installed. */
    public static SymbolLookup libxenguest() {
        try {
            return SymbolLookup.libraryLookup("libxenguest.so.4.17", java.lang.foreign.Arena.global());
        } catch (IllegalArgumentException e) {
            return name -> Optional.empty();
        }
    }

    public int errno() {
        return capture.errno();
    }

    /** {@code int xc_hvm_param_get(xc_interface *handle, uint32_t dom, uint32_t param, uint64_t *value)} */
    public int xc_hvm_param_get(MemorySegment xch, int domid, int param, MemorySegment value) {
        try {
            return (int) xc_hvm_param_get.invokeExact(capture.segment(), xch, domid, param, value);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int xc_domain_get_tsc_info(xc_interface *xch, uint32_t domid, uint32_t *tsc_mode,
     * uint64_t *elapsed_nsec, uint32_t *gtsc_khz, uint32_t *incarnation)}
     */
    public int xc_domain_get_tsc_info(MemorySegment xch, int domid, MemorySegment tscMode, MemorySegment elapsedNsec,
                                      MemorySegment gtscKhz, MemorySegment incarnation) {
        try {
            return (int) xc_domain_get_tsc_info.invokeExact(capture.segment(), xch, domid, tscMode, elapsedNsec,
                    gtscKhz, incarnation);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * {@code int xc_domain_resume(xc_interface *xch, uint32_t domid, int fast)}: undoes a guest's suspend on the
     * source; with {@code fast = 1} the guest sees its suspend hypercall return 1 ("cancelled") and carries on.
     */
    public int xc_domain_resume(MemorySegment xch, int domid, int fast) {
        try {
            return (int) xc_domain_resume.invokeExact(capture.segment(), xch, domid, fast);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
