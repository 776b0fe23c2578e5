package io.xmig.bench;

import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.LogDirtyStats;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.XenHypervisor;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Cost of one log-dirty CLEAN ({@code XEN_DOMCTL_SHADOW_OP_CLEAN}) called from Java, on a 1 GiB simulated domain
 * (262,144 pages) running {@code idle}, with the kernel's asynchronous write-protect tracking (PAGEMAP_SCAN with
 * WP_MATCHING: the scan reports the written pages and re-protects them in one pass).
 *
 * <p>Before each CLEAN, {@link #dirty()} makes the guest write one word in exactly {@code dirtyPercent} % of the pages
 * ({@link GuestSimulator#guestWrite}, from a pfn list drawn once at random with a fixed seed, so every CLEAN sees the
 * same set). That is a {@code @Setup(Level.Invocation)}: JMH's per-invocation timestamps cost well under a
 * microsecond, and a CLEAN of 1 GiB costs at least ~0.2 ms (the empty scan), so the setup is out of the measurement
 * at no distortion worth mentioning. The measured call is {@code dirtyLog.clean(bitmap, false)}: the FFM downcall,
 * the simulator's zeroing of the 32 KiB bitmap, the PAGEMAP_SCAN loop and the stats; its dirty count goes to JMH's
 * blackhole. The hot path allocates nothing but the {@link LogDirtyStats} record the API returns (check with
 * {@code -prof gc}: escape analysis removes it).
 *
 * <p>A benchmark of a broken CLEAN is worthless, so the trial setup checks once that a CLEAN reports exactly the
 * written set (bit for bit, and in its stats), every invocation counts a CLEAN whose dirty count differs from the
 * number of pages written, and each iteration's teardown fails the run if there was one, and checks the last
 * bitmap bit for bit again. The goal: a CLEAN at 1 % dirty in at most 1 ms, from Java.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(3)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class CleanBenchmark {
    static final long PAGES = 262_144;                  // 1 GiB
    static final long SEED = 0x5eedL;

    @Param({"0", "1", "10", "100"})
    public int dirtyPercent;

    private XenHypervisor hv;
    private GuestSimulator sim;
    private int domid = -1;
    private DirtyLog log;
    private DirtyBitmap bitmap;
    private Arena arena;
    private MemorySegment pfns;
    private PageBitmap expected;
    private int count;
    private long wrongCounts;

    @Setup(Level.Trial)
    public void setUp() {
        BenchSupport.reportJvmFlags();
        hv = XenHypervisor.open();
        sim = BenchSupport.simulator(hv);
        domid = sim.createDomain(PAGES, "idle", SEED);
        if (sim.tracking(domid) != GuestSimulator.Tracking.ASYNC_WP) {
            throw new IllegalStateException("this kernel gives the simulator no async write-protect tracking (needs 6.7+)");
        }
        log = hv.dirtyLog(domid);
        log.enable();
        bitmap = hv.newDirtyBitmap(PAGES);
        arena = Arena.ofShared();
        count = (int) (PAGES * dirtyPercent / 100);
        pfns = BenchSupport.randomPages(arena, PAGES, count, SEED);
        expected = PageBitmap.allocate(arena, PAGES);
        for (int i = 0; i < count; i++) expected.set(pfns.getAtIndex(ValueLayout.JAVA_LONG, i));

        log.clean(bitmap, false);                      // everything since enable: start an empty interval
        sim.guestWrite(domid, pfns, count);
        LogDirtyStats stats = log.clean(bitmap, false);
        verify(stats.dirtyCount(), "trial setup");
    }

    /** Not measured: the guest dirties exactly the chosen pages. */
    @Setup(Level.Invocation)
    public void dirty() {
        sim.guestWrite(domid, pfns, count);
    }

    @Benchmark
    public long clean() {
        long n = log.clean(bitmap, false).dirtyCount();
        if (n != count) wrongCounts++;
        return n;
    }

    @TearDown(Level.Iteration)
    public void checkIteration() {
        if (wrongCounts != 0) {
            throw new IllegalStateException(wrongCounts + " CLEANs reported a dirty count other than the " + count + " pages written");
        }
        verify(bitmap.cardinality(), "last CLEAN of the iteration");
    }

    private void verify(long reported, String where) {
        long first = bitmap.firstDifference(expected);
        if (reported != count || bitmap.cardinality() != count || first != -1) {
            throw new IllegalStateException(where + ": CLEAN reported " + reported + " dirty pages (bitmap: "
                    + bitmap.cardinality() + ", first page differing from the written set: " + first + "), the guest wrote " + count);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (bitmap != null) bitmap.close();
        if (domid >= 0) sim.destroy(domid);
        if (arena != null) arena.close();
        hv.close();
    }
}
