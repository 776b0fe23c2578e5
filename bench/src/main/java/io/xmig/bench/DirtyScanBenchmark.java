package io.xmig.bench;

import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.pagepath.DirtyScanner;
import io.xmig.dataplane.pagepath.PageRuns;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
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
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Dirty bitmap → runs: one {@link DirtyScanner#scan} of a 1 GiB guest's {@link PageBitmap} (262,144 pages) with
 * {@code dirtyPercent} % of its pages set, at random (a fixed seed, {@code BenchSupport.randomPages}), or all of them
 * at 100 %. Two channels (two rings), as {@code xmig migrate}'s default.
 *
 * <p><b>What is timed:</b> the whole {@code scan(bitmap)} call: the bitmap walk ({@code nextSetBit}/{@code nextClearBit}),
 * cutting runs at 2 MiB stripes and at 256 pages, staging each run (16 bytes) in its channel's staging buffer, one
 * {@code ring.write} of 1,024 bytes per 64 runs, and the final flush of partly filled batches. <b>Not timed:</b>
 * draining the rings, which a {@code @TearDown(Level.Invocation)} does after every scan (reading every message, so
 * the next scan starts with empty rings). The rings are 1 MiB each, more than a scan fills (at 10 %, the largest
 * case, about 190 KiB per ring), so the scanner never waits for ring space: its idle strategy throws if it is ever
 * asked to wait, which would fail the run. So this is the scanner's own cost with no consumer contention, not the
 * rate at which senders can take runs.
 *
 * <p>The trial setup counts the runs the bitmap must produce with an independent loop (page by page), and every
 * invocation's teardown checks that the scanner offered exactly that many runs and that the rings held exactly that
 * many runs. Runs per scan are printed once; runs/s is runs per scan ÷ the time per scan.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(3)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class DirtyScanBenchmark {
    static final long PAGES = 262_144;                     // 1 GiB
    static final int CHANNELS = 2;
    static final int RING_BYTES = 1 << 20;
    static final long SEED = 0x5eedL;

    @Param({"1", "10", "100"})
    public int dirtyPercent;

    private Arena arena;
    private PageBitmap bitmap;
    private RingBuffer[] rings;
    private DirtyScanner scanner;
    private long expectedRuns;
    private long expectedPages;
    private long offeredBefore;
    private long drainedRuns;
    private long scannedPages;
    private final MessageHandler drain = (type, buffer, offset, length) -> {
        if (type == PageRuns.MSG_RUNS) drainedRuns += length / PageRuns.RUN_BYTES;
    };

    @Setup(Level.Trial)
    public void setUp() {
        BenchSupport.reportJvmFlags();
        arena = Arena.ofShared();
        bitmap = PageBitmap.allocate(arena, PAGES);
        int count = (int) (PAGES * dirtyPercent / 100);
        if (dirtyPercent == 100) {
            for (long p = 0; p < PAGES; p++) bitmap.set(p);
        } else {
            MemorySegment pfns = BenchSupport.randomPages(arena, PAGES, count, SEED);
            for (int i = 0; i < count; i++) bitmap.set(pfns.getAtIndex(ValueLayout.JAVA_LONG, i));
        }
        // Independently of the scanner: a run starts at a set page whose predecessor is clear, or at a stripe start,
        // or 256 pages after the previous run's start within the same stretch.
        long runs = 0, pages = 0, runLen = 0;
        for (long p = 0; p < PAGES; p++) {
            if (!bitmap.get(p)) { runLen = 0; continue; }
            pages++;
            if (runLen == 0 || p % PageRuns.STRIPE_PAGES == 0 || runLen == PageRuns.MAX_RUN_PAGES) { runs++; runLen = 0; }
            runLen++;
        }
        expectedRuns = runs;
        expectedPages = pages;
        rings = new RingBuffer[CHANNELS];
        for (int i = 0; i < CHANNELS; i++) {
            rings[i] = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
        }
        scanner = new DirtyScanner(rings, new NeverWait(), () -> false);
        System.out.printf("%n# %d %% dirty: %d pages set, %d runs per scan (%.1f pages per run), %d rings of %d KiB%n",
                dirtyPercent, pages, runs, (double) pages / runs, CHANNELS, RING_BYTES >> 10);
    }

    @Benchmark
    public long scan() {
        return scannedPages = scanner.scan(bitmap);
    }

    /** Not timed: empty the rings, and check what the scan offered. */
    @TearDown(Level.Invocation)
    public void drainAndCheck() {
        drainedRuns = 0;
        // Not "while read() > 0": a read that only skips the padding record at the ring's end returns 0 with
        // messages still waiting at its start.
        for (RingBuffer r : rings) while (r.consumerPosition() != r.producerPosition()) r.read(drain, Integer.MAX_VALUE);
        long offered = scanner.runsOffered() - offeredBefore;
        offeredBefore = scanner.runsOffered();
        if (offered != expectedRuns || drainedRuns != expectedRuns || scannedPages != expectedPages) {
            throw new IllegalStateException("scan offered " + offered + " runs of " + scannedPages + " pages, the rings held "
                    + drainedRuns + " runs, expected "
                    + expectedRuns + " (" + expectedPages + " pages)");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /** The rings are sized so that the scanner never has to wait; if it does, the benchmark is wrong. */
    private static final class NeverWait implements IdleStrategy {
        @Override public void idle(int workCount) { if (workCount <= 0) idle(); }
        @Override public void idle() { throw new IllegalStateException("ring full: the benchmark's rings are too small"); }
        @Override public void reset() { }
    }
}
