package io.xmig.bindings;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code xc_shadow_op_stats_t}, that is {@code struct xen_domctl_shadow_op_stats} ({@code <xen/domctl.h>}):
 * what {@link XenCtrl#xc_logdirty_control} reports, counted since the last CLEAN.
 * A layout and static accessors over segments the caller owns; no state, thread-safe.
 */
public final class XcShadowOpStats {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_INT.withName("fault_count"),
            JAVA_INT.withName("dirty_count")
    ).withName("xen_domctl_shadow_op_stats");

    private static final VarHandle fault_count = LAYOUT.varHandle(groupElement("fault_count"));
    private static final VarHandle dirty_count = LAYOUT.varHandle(groupElement("dirty_count"));

    private XcShadowOpStats() {}

    public static MemorySegment allocate(SegmentAllocator allocator) {
        return allocator.allocate(LAYOUT);
    }

    public static int fault_count(MemorySegment s) { return (int) fault_count.get(s, 0L); }
    public static void fault_count(MemorySegment s, int v) { fault_count.set(s, 0L, v); }

    public static int dirty_count(MemorySegment s) { return (int) dirty_count.get(s, 0L); }
    public static void dirty_count(MemorySegment s, int v) { dirty_count.set(s, 0L, v); }
}
