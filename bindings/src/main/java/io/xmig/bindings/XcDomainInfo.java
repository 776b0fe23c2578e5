package io.xmig.bindings;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * {@code xc_domaininfo_t}, that is {@code struct xen_domctl_getdomaininfo} ({@code <xen/domctl.h>}, Xen 4.17,
 * 112 bytes): what {@link XenCtrl#xc_domain_getinfolist} fills, one element per domain. The flag bits are
 * {@code XenCtrl.XEN_DOMINF_*}.
 *
 * <p>A layout and static accessors over segments the caller owns; no state, thread-safe. Unsigned 8- and
 * 16-bit fields read as non-negative ints; 32- and 64-bit fields as Java's int and long (unsigned in C).
 */
public final class XcDomainInfo {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_SHORT.withName("domain"),
            JAVA_SHORT.withName("pad1"),
            JAVA_INT.withName("flags"),
            JAVA_LONG.withName("tot_pages"),
            JAVA_LONG.withName("max_pages"),
            JAVA_LONG.withName("outstanding_pages"),
            JAVA_LONG.withName("shr_pages"),
            JAVA_LONG.withName("paged_pages"),
            JAVA_LONG.withName("shared_info_frame"),
            JAVA_LONG.withName("cpu_time"),
            JAVA_INT.withName("nr_online_vcpus"),
            JAVA_INT.withName("max_vcpu_id"),
            JAVA_INT.withName("ssidref"),
            MemoryLayout.sequenceLayout(16, JAVA_BYTE).withName("handle"),
            JAVA_INT.withName("cpupool"),
            JAVA_BYTE.withName("gpaddr_bits"),
            MemoryLayout.sequenceLayout(7, JAVA_BYTE).withName("pad2"),
            MemoryLayout.structLayout(
                    JAVA_INT.withName("emulation_flags"),
                    JAVA_INT.withName("misc_flags")).withName("arch_config")
    ).withName("xen_domctl_getdomaininfo");

    private static final VarHandle domain = field("domain");
    private static final VarHandle flags = field("flags");
    private static final VarHandle tot_pages = field("tot_pages");
    private static final VarHandle max_pages = field("max_pages");
    private static final VarHandle outstanding_pages = field("outstanding_pages");
    private static final VarHandle shr_pages = field("shr_pages");
    private static final VarHandle paged_pages = field("paged_pages");
    private static final VarHandle shared_info_frame = field("shared_info_frame");
    private static final VarHandle cpu_time = field("cpu_time");
    private static final VarHandle nr_online_vcpus = field("nr_online_vcpus");
    private static final VarHandle max_vcpu_id = field("max_vcpu_id");
    private static final VarHandle ssidref = field("ssidref");
    private static final VarHandle cpupool = field("cpupool");
    private static final VarHandle gpaddr_bits = field("gpaddr_bits");
    private static final long handle$OFFSET = LAYOUT.byteOffset(groupElement("handle"));
    private static final long handle$SIZE = LAYOUT.select(groupElement("handle")).byteSize();

    private XcDomainInfo() {}

    private static VarHandle field(String name) {
        return LAYOUT.varHandle(groupElement(name));
    }

    public static MemorySegment allocate(SegmentAllocator allocator) {
        return allocator.allocate(LAYOUT);
    }

    /** An array of {@code count} elements, as {@code xc_domain_getinfolist(xch, first, count, info)} wants. */
    public static MemorySegment allocateArray(long count, SegmentAllocator allocator) {
        return allocator.allocate(LAYOUT, count);
    }

    /** Element {@code index} of an array. */
    public static MemorySegment asSlice(MemorySegment array, long index) {
        return array.asSlice(index * LAYOUT.byteSize(), LAYOUT);
    }

    /** {@code domid_t domain} (uint16_t). */
    public static int domain(MemorySegment s) { return Short.toUnsignedInt((short) domain.get(s, 0L)); }
    public static void domain(MemorySegment s, int v) { domain.set(s, 0L, (short) v); }

    /** {@code uint32_t flags}: {@code XEN_DOMINF_*}. */
    public static int flags(MemorySegment s) { return (int) flags.get(s, 0L); }
    public static void flags(MemorySegment s, int v) { flags.set(s, 0L, v); }

    /** The guest-supplied shutdown code, meaningful when {@code XEN_DOMINF_shutdown} is set. */
    public static int shutdown_code(MemorySegment s) {
        return (flags(s) >>> XenCtrl.XEN_DOMINF_shutdownshift) & XenCtrl.XEN_DOMINF_shutdownmask;
    }

    public static long tot_pages(MemorySegment s) { return (long) tot_pages.get(s, 0L); }
    public static void tot_pages(MemorySegment s, long v) { tot_pages.set(s, 0L, v); }

    public static long max_pages(MemorySegment s) { return (long) max_pages.get(s, 0L); }
    public static void max_pages(MemorySegment s, long v) { max_pages.set(s, 0L, v); }

    public static long outstanding_pages(MemorySegment s) { return (long) outstanding_pages.get(s, 0L); }
    public static void outstanding_pages(MemorySegment s, long v) { outstanding_pages.set(s, 0L, v); }

    public static long shr_pages(MemorySegment s) { return (long) shr_pages.get(s, 0L); }
    public static void shr_pages(MemorySegment s, long v) { shr_pages.set(s, 0L, v); }

    public static long paged_pages(MemorySegment s) { return (long) paged_pages.get(s, 0L); }
    public static void paged_pages(MemorySegment s, long v) { paged_pages.set(s, 0L, v); }

    /** GMFN of the shared_info struct. */
    public static long shared_info_frame(MemorySegment s) { return (long) shared_info_frame.get(s, 0L); }
    public static void shared_info_frame(MemorySegment s, long v) { shared_info_frame.set(s, 0L, v); }

    /** Nanoseconds of CPU time consumed. */
    public static long cpu_time(MemorySegment s) { return (long) cpu_time.get(s, 0L); }
    public static void cpu_time(MemorySegment s, long v) { cpu_time.set(s, 0L, v); }

    public static int nr_online_vcpus(MemorySegment s) { return (int) nr_online_vcpus.get(s, 0L); }
    public static void nr_online_vcpus(MemorySegment s, int v) { nr_online_vcpus.set(s, 0L, v); }

    /** Highest vCPU id in use; {@code ~0} when the domain has no vCPUs. */
    public static int max_vcpu_id(MemorySegment s) { return (int) max_vcpu_id.get(s, 0L); }
    public static void max_vcpu_id(MemorySegment s, int v) { max_vcpu_id.set(s, 0L, v); }

    public static int ssidref(MemorySegment s) { return (int) ssidref.get(s, 0L); }
    public static void ssidref(MemorySegment s, int v) { ssidref.set(s, 0L, v); }

    /** {@code xen_domain_handle_t handle}: the domain's 16-byte UUID, a slice of {@code s}. */
    public static MemorySegment handle(MemorySegment s) { return s.asSlice(handle$OFFSET, handle$SIZE); }

    public static int cpupool(MemorySegment s) { return (int) cpupool.get(s, 0L); }
    public static void cpupool(MemorySegment s, int v) { cpupool.set(s, 0L, v); }

    /** Guest physical address space size, in bits (uint8_t). */
    public static int gpaddr_bits(MemorySegment s) { return Byte.toUnsignedInt((byte) gpaddr_bits.get(s, 0L)); }
    public static void gpaddr_bits(MemorySegment s, int v) { gpaddr_bits.set(s, 0L, (byte) v); }
}
