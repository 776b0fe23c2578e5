package io.xmig.bench;

import io.xmig.dataplane.heat.HeatClusters;
import io.xmig.dataplane.heat.PageHeat;
import io.xmig.dataplane.hypervisor.PageBitmap;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Cost of one heat epoch for 1 GiB of guest memory (262,144 pages): {@link PageHeat#observe} of a CLEAN bitmap
 * followed by {@link HeatClusters#update} (histogram, 2-means threshold, incremental hot set), which is what the
 * {@code RoundPlanner} does after every CLEAN (and every sampling CLEAN under {@code clustering}).
 *
 * <p>The CLEAN bitmaps are hot/cold: {@code dirtyPercent} % of the pages are dirty per epoch; a fixed tenth of them (spread
 * evenly over the guest) is dirty in every epoch, the rest is drawn at random over the whole guest; eight such
 * bitmaps (seed 42) are cycled, so the heat sees changing epochs and the clusters a steady hot set. The figure to quote is the
 * average time per epoch; per GiB, since the guest is 1 GiB.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HeatBenchmark {
    static final long PAGES = 1L << 18;                    // 1 GiB of 4 KiB pages
    static final int BITMAPS = 8;

    @Param({"0.1", "1", "10", "100"})
    public double dirtyPercent;

    private Arena arena;
    private PageHeat heat;
    private HeatClusters clusters;
    private PageBitmap[] epochs;
    private int next;

    @Setup
    public void setUp() {
        arena = Arena.ofConfined();
        heat = new PageHeat(arena, PAGES);
        clusters = new HeatClusters(arena, PAGES);
        epochs = new PageBitmap[BITMAPS];
        Random r = new Random(42);
        long dirty = Math.max(1, Math.round(PAGES * dirtyPercent / 100));
        long hot = dirty / 10;
        for (int i = 0; i < BITMAPS; i++) {
            PageBitmap b = PageBitmap.allocate(arena, PAGES);
            for (long p = 0; p < hot; p++) b.set(p * (PAGES / Math.max(1, hot)) % PAGES);
            while (b.cardinality() < dirty) {
                for (long k = b.cardinality(); k < dirty; k++) b.set(Math.floorMod(r.nextLong(), PAGES));
            }
            epochs[i] = b;
        }
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    /** One epoch: observe a CLEAN and re-cluster. Returns the hot set's size (so nothing is optimised away). */
    @Benchmark
    public long observeAndCluster() {
        PageBitmap b = epochs[next];
        next = (next + 1) % BITMAPS;
        heat.observe(b);
        return clusters.update(heat, b);
    }
}
