package io.xmig.bindings;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code struct xmigsim_counters} ({@code "xmigsim.h"}, 80 bytes): a simulated domain's workload counters,
 * filled by {@link XmigSim#xmigsim_counters}. A layout and static accessors over segments the caller owns;
 * no state, thread-safe.
 */
public final class XmigSimCounters {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_LONG.withName("writes"),
            JAVA_LONG.withName("steps"),
            JAVA_LONG.withName("requests"),
            JAVA_LONG.withName("run_ns"),
            JAVA_LONG.withName("cpu_ns"),
            JAVA_LONG.withName("max_stall_ns"),
            JAVA_LONG.withName("faults"),
            JAVA_LONG.withName("pages_present"),
            JAVA_LONG.withName("wp_faults"),
            JAVA_LONG.withName("read_sum"),
            JAVA_INT.withName("vcpus"),
            JAVA_INT.withName("state")
    ).withName("xmigsim_counters");

    private static final VarHandle writes = field("writes");
    private static final VarHandle steps = field("steps");
    private static final VarHandle requests = field("requests");
    private static final VarHandle run_ns = field("run_ns");
    private static final VarHandle cpu_ns = field("cpu_ns");
    private static final VarHandle max_stall_ns = field("max_stall_ns");
    private static final VarHandle faults = field("faults");
    private static final VarHandle pages_present = field("pages_present");
    private static final VarHandle wp_faults = field("wp_faults");
    private static final VarHandle read_sum = field("read_sum");
    private static final VarHandle vcpus = field("vcpus");
    private static final VarHandle state = field("state");

    private XmigSimCounters() {}

    private static VarHandle field(String name) {
        return LAYOUT.varHandle(groupElement(name));
    }

    public static MemorySegment allocate(SegmentAllocator allocator) {
        return allocator.allocate(LAYOUT);
    }

    /** Guest memory writes since creation (all vCPUs, carried across setcontext). */
    public static long writes(MemorySegment s) { return (long) writes.get(s, 0L); }
    public static void writes(MemorySegment s, long v) { writes.set(s, 0L, v); }

    /** Workload steps (a write, a request, a burn slice). */
    public static long steps(MemorySegment s) { return (long) steps.get(s, 0L); }
    public static void steps(MemorySegment s, long v) { steps.set(s, 0L, v); }

    /** kv requests served. */
    public static long requests(MemorySegment s) { return (long) requests.get(s, 0L); }
    public static void requests(MemorySegment s, long v) { requests.set(s, 0L, v); }

    /** Guest time: nanoseconds the vCPUs were runnable (not paused). */
    public static long run_ns(MemorySegment s) { return (long) run_ns.get(s, 0L); }
    public static void run_ns(MemorySegment s, long v) { run_ns.set(s, 0L, v); }

    /** CPU time consumed by the vCPU threads. */
    public static long cpu_ns(MemorySegment s) { return (long) cpu_ns.get(s, 0L); }
    public static void cpu_ns(MemorySegment s, long v) { cpu_ns.set(s, 0L, v); }

    /** Longest time one workload step took (a step blocked on a missing page shows here). */
    public static long max_stall_ns(MemorySegment s) { return (long) max_stall_ns.get(s, 0L); }
    public static void max_stall_ns(MemorySegment s, long v) { max_stall_ns.set(s, 0L, v); }

    /** Demand faults taken on missing pages (destination). */
    public static long faults(MemorySegment s) { return (long) faults.get(s, 0L); }
    public static void faults(MemorySegment s, long v) { faults.set(s, 0L, v); }

    /** Pages present in RAM (all, on a source; installed ones, on a destination). */
    public static long pages_present(MemorySegment s) { return (long) pages_present.get(s, 0L); }
    public static void pages_present(MemorySegment s, long v) { pages_present.set(s, 0L, v); }

    /** Write-protect faults handled (sync fallback only). */
    public static long wp_faults(MemorySegment s) { return (long) wp_faults.get(s, 0L); }
    public static void wp_faults(MemorySegment s, long v) { wp_faults.set(s, 0L, v); }

    /** Sum of every word the workload read from guest memory: equal sums, equal bytes read. */
    public static long read_sum(MemorySegment s) { return (long) read_sum.get(s, 0L); }
    public static void read_sum(MemorySegment s, long v) { read_sum.set(s, 0L, v); }

    public static int vcpus(MemorySegment s) { return (int) vcpus.get(s, 0L); }
    public static void vcpus(MemorySegment s, int v) { vcpus.set(s, 0L, v); }

    /** {@code XmigSim.XMIGSIM_STATE_*}. */
    public static int state(MemorySegment s) { return (int) state.get(s, 0L); }
    public static void state(MemorySegment s, int v) { state.set(s, 0L, v); }
}
