package io.xmig.bench;

import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * What dirty tracking costs the guest: the guest's own write rate with log-dirty off, and armed with a CLEAN every
 * ~100 ms as a pre-copy round would do it. A 512 MiB simulated domain runs {@code workload} at {@code rate=max} over a
 * 256 MiB working set (one vCPU, so one busy core; the benchmark thread mostly sleeps on the other).
 *
 * <p>Each invocation sleeps 100 ms while the guest runs; when {@code tracking=armed} (log-dirty enabled at trial
 * setup) it then does a CLEAN without pausing the guest, so every page written again in the next round takes a new
 * write-protect fault. The {@link GuestWrites#writes} aux counter adds the increase of
 * {@code SimCounters.writes()} over each invocation, and JMH divides it by the iteration's time: guest writes/s.
 * {@link GuestWrites#dirtyPages} is the same for the pages each CLEAN reported (0 when off). The primary score
 * (rounds/s, ~9.x) is meaningless. The overhead figure is the ratio armed/off of the writes/s, per workload.
 *
 * <p>Not a hot loop on the Java side: the work measured is the guest's, in native vCPU threads; the per-round
 * {@code counters()} call allocates an arena and a record every 100 ms, which does not matter. Write rates at
 * {@code rate=max} on 2 shared cores are noisy: several forks, and report the spread.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(3)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
public class TrackingOverheadBenchmark {
    static final long PAGES = 131_072;                 // 512 MiB
    static final long ROUND_MS = 100;

    @Param({"sweep:rate=max,ws=256M", "random:rate=max,ws=256M"})
    public String workload;

    @Param({"off", "armed"})
    public String tracking;

    /** JMH reports each public field as a rate (per second) beside the primary result. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class GuestWrites {
        /** Guest writes (SimCounters.writes) during the iteration. */
        public long writes;
        /** Pages the CLEANs of the iteration reported dirty. */
        public long dirtyPages;

        @Setup(Level.Iteration)
        public void reset() {
            writes = 0;
            dirtyPages = 0;
        }
    }

    private XenHypervisor hv;
    private GuestSimulator sim;
    private int domid = -1;
    private boolean armed;
    private DirtyLog log;
    private DirtyBitmap bitmap;
    private long lastWrites;

    @Setup(Level.Trial)
    public void setUp() {
        BenchSupport.reportJvmFlags();
        armed = switch (tracking) {
            case "off" -> false;
            case "armed" -> true;
            default -> throw new IllegalArgumentException("tracking must be off or armed: " + tracking);
        };
        hv = XenHypervisor.open();
        sim = BenchSupport.simulator(hv);
        domid = sim.createDomain(PAGES, workload, 7);
        bitmap = hv.newDirtyBitmap(PAGES);
        log = hv.dirtyLog(domid);
        if (armed) log.enable();
    }

    /** The guest ran between iterations too: count from now. */
    @Setup(Level.Iteration)
    public void startIteration() {
        lastWrites = sim.counters(domid).writes();
    }

    @Benchmark
    public void round(GuestWrites counters) throws InterruptedException {
        Thread.sleep(ROUND_MS);
        if (armed) counters.dirtyPages += log.clean(bitmap, false).dirtyCount();
        long now = sim.counters(domid).writes();
        counters.writes += now - lastWrites;
        lastWrites = now;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (armed) log.disable();
        if (domid >= 0) sim.destroy(domid);
        bitmap.close();
        hv.close();
    }
}
