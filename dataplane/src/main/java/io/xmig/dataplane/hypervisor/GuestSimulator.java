package io.xmig.dataplane.hypervisor;

import io.xmig.bindings.XmigSim;
import io.xmig.bindings.XmigSimCounters;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xmig.bindings.XmigSim.XMIGSIM_INSTALL_IF_MISSING;
import static io.xmig.bindings.XmigSim.XMIGSIM_INSTALL_OVERWRITE;

/**
 * The simulator's own controls, which a real hypervisor does not have: create a domain running a workload, create an
 * empty destination, read the destination's fault queue, read the workload's counters, destroy. Shares the
 * {@code xc_interface} of the {@link XenHypervisor} that made it; thread-safe.
 */
public final class GuestSimulator {
    /** Domain creation options. */
    public enum CreateFlag {
        /** Do not start the vCPUs until the first unpause. */
        PAUSED(XmigSim.XMIGSIM_CREATE_PAUSED),
        /** Track dirty pages with synchronous write-protect faults even where the kernel has WP_ASYNC. */
        SYNC_WP_TRACKING(XmigSim.XMIGSIM_TRACK_SYNC_WP);

        final int bit;

        CreateFlag(int bit) {
            this.bit = bit;
        }
    }

    /** How the kernel tracks a domain's dirty pages. */
    public enum Tracking { ASYNC_WP, SYNC_WP }

    private final XmigSim sim;
    private final MemorySegment xch;

    GuestSimulator(XmigSim sim, MemorySegment xch) {
        this.sim = sim;
        this.xch = xch;
    }

    /** A domain of {@code pages} pages running {@code workload} (docs/WORKLOADS.md); its id. */
    public int createDomain(long pages, String workload, long seed, CreateFlag... flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment domid = arena.allocate(ValueLayout.JAVA_INT);
            if (sim.xmigsim_domain_create(xch, pages, arena.allocateFrom(workload), seed, bits(flags), domid) < 0) {
                throw failure("xmigsim_domain_create(" + workload + ")", -1);
            }
            return domid.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** A paused destination domain whose pages are all missing, until installed. */
    public int createDestination(long pages, CreateFlag... flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment domid = arena.allocate(ValueLayout.JAVA_INT);
            if (sim.xmigsim_domain_create_dest(xch, pages, bits(flags), domid) < 0) {
                throw failure("xmigsim_domain_create_dest", -1);
            }
            return domid.get(ValueLayout.JAVA_INT, 0);
        }
    }

    public void destroy(int domid) {
        if (sim.xmigsim_domain_destroy(xch, domid) < 0) throw failure("xmigsim_domain_destroy", domid);
    }

    public SimCounters counters(int domid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = XmigSimCounters.allocate(arena);
            if (sim.xmigsim_counters(xch, domid, c) < 0) throw failure("xmigsim_counters", domid);
            SimCounters.State state = switch (XmigSimCounters.state(c)) {
                case XmigSim.XMIGSIM_STATE_PAUSED -> SimCounters.State.PAUSED;
                case XmigSim.XMIGSIM_STATE_HALTED -> SimCounters.State.HALTED;
                default -> SimCounters.State.RUNNING;
            };
            return new SimCounters(XmigSimCounters.writes(c), XmigSimCounters.steps(c), XmigSimCounters.requests(c),
                    XmigSimCounters.run_ns(c), XmigSimCounters.cpu_ns(c), XmigSimCounters.max_stall_ns(c),
                    XmigSimCounters.faults(c), XmigSimCounters.pages_present(c), XmigSimCounters.wp_faults(c),
                    XmigSimCounters.read_sum(c), XmigSimCounters.vcpus(c), state);
        }
    }

    /** The workload's own record of the pages it wrote since the last clear; exact while the domain is paused. */
    public long writtenPages(int domid, PageBitmap into, boolean clear) {
        long n = sim.xmigsim_written_pages(xch, domid, into.segment(), into.pages(), clear ? 1 : 0);
        if (n < 0) throw failure("xmigsim_written_pages", domid);
        return n;
    }

    /** Which pages of a destination have arrived. */
    public long presentPages(int domid, PageBitmap into) {
        long n = sim.xmigsim_present_bitmap(xch, domid, into.segment(), into.pages());
        if (n < 0) throw failure("xmigsim_present_bitmap", domid);
        return n;
    }

    /** An fd that polls readable while the destination has faults queued; owned by the domain. */
    public int faultFd(int domid) {
        int fd = sim.xmigsim_fault_fd(xch, domid);
        if (fd < 0) throw failure("xmigsim_fault_fd", domid);
        return fd;
    }

    /** Dequeues up to {@code max} faulting page numbers into {@code pfns} (u64 each); how many. */
    public int readFaults(int domid, MemorySegment pfns, int max) {
        long n = sim.xmigsim_fault_read(xch, domid, pfns, max);
        if (n < 0) throw failure("xmigsim_fault_read", domid);
        return (int) n;
    }

    /** Request latencies of a kv workload, {@link XmigSim#XMIGSIM_LAT_BUCKETS} log-linear buckets (docs/WORKLOADS.md). */
    public long[] latencyHistogram(int domid, boolean clear) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(ValueLayout.JAVA_LONG, XmigSim.XMIGSIM_LAT_BUCKETS);
            if (sim.xmigsim_latency_histogram(xch, domid, b, XmigSim.XMIGSIM_LAT_BUCKETS, clear ? 1 : 0) < 0) {
                throw failure("xmigsim_latency_histogram", domid);
            }
            return b.toArray(ValueLayout.JAVA_LONG);
        }
    }

    /** Lower bound in nanoseconds of latency bucket {@code i}. */
    public static long latencyBucketLow(int i) {
        if (i < 8) return i;
        int e = i / 8 + 2;
        return (8L + i % 8) << (e - 3);
    }

    public Tracking tracking(int domid) {
        int m = sim.xmigsim_tracking_mode(xch, domid);
        if (m < 0) throw failure("xmigsim_tracking_mode", domid);
        return m == XmigSim.XMIGSIM_TRACKING_ASYNC_WP ? Tracking.ASYNC_WP : Tracking.SYNC_WP;
    }

    /** The guest writes one word in each of the first {@code count} pages listed in {@code pfns} (u64 each). */
    public void guestWrite(int domid, MemorySegment pfns, int count) {
        if (sim.xmigsim_guest_write(xch, domid, pfns, count) < 0) throw failure("xmigsim_guest_write", domid);
    }

    /** Makes pages {@code [firstPfn, firstPfn + count)} of a destination missing again; how many were present. */
    public long discardPages(int domid, long firstPfn, long count) {
        long n = sim.xmigsim_discard_pages(xch, domid, firstPfn, count);
        if (n < 0) throw failure("xmigsim_discard_pages", domid);
        return n;
    }

    /** The destination's fault queue, for one thread to wait on; the caller closes it. */
    public FaultQueue faultQueue(int domid) {
        return new FaultQueue(this, domid, faultFd(domid));
    }

    long install(int domid, long firstPfn, int count, MemorySegment src, InstallMode mode) {
        long n = sim.xmigsim_install_pages(xch, domid, firstPfn, count, src, flag(mode));
        if (n < 0) throw failure("xmigsim_install_pages", domid);
        return n;
    }

    long installZero(int domid, long firstPfn, int count, InstallMode mode) {
        long n = sim.xmigsim_install_zero_pages(xch, domid, firstPfn, count, flag(mode));
        if (n < 0) throw failure("xmigsim_install_zero_pages", domid);
        return n;
    }

    String lastError() {
        return sim.xmigsim_last_error();
    }

    private static int flag(InstallMode mode) {
        return mode == InstallMode.IF_MISSING ? XMIGSIM_INSTALL_IF_MISSING : XMIGSIM_INSTALL_OVERWRITE;
    }

    private static int bits(CreateFlag[] flags) {
        int b = 0;
        for (CreateFlag f : flags) b |= f.bit;
        return b;
    }

    private HypervisorException failure(String call, int domid) {
        int errno = sim.errno();
        return new HypervisorException(call, domid, errno, sim.xmigsim_last_error());
    }
}
