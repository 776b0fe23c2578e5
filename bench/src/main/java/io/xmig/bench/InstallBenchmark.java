package io.xmig.bench;

import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.InstallMode;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Page-install throughput into a destination's missing pages through {@link GuestMemory#install} (the simulator does
 * UFFDIO_COPY, at most 64 pages per ioctl), from Java, in pages per second. One method per batch size:
 * {@code batch01}, {@code batch16}, {@code batch64} install 1, 16 or 64 contiguous pages at the next missing pfn per
 * call, from a 64-page source buffer filled once with random bytes; {@code @OperationsPerInvocation(batch)} makes
 * JMH's score pages/s directly.
 *
 * <p>Each iteration (warm-up included) gets a fresh, empty 4 GiB destination (1,048,576 pages), made and destroyed
 * outside the measurement. Iterations last 500 ms, so the destination fills only above 2 M pages/s (about twice what
 * the C probe saw); if it does fill, {@link #nextRun} destroys and recreates it inside the measured time and counts it,
 * and the count is printed at the end of the iteration. Each iteration's teardown checks that the destination holds
 * exactly the pages installed. Every install must report {@code batch} pages written, or the run fails. The hot path
 * allocates nothing.
 *
 * <p>Noise: the VM these figures come from hands freed memory back to its host, so first touches of new pages (which
 * is what UFFDIO_COPY does) vary 2-5x between runs (see the probe's report).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(3)
@Warmup(iterations = 3, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
public class InstallBenchmark {
    static final long DEST_PAGES = 1L << 20;           // 4 GiB
    static final int MAX_BATCH = 64;

    private XenHypervisor hv;
    private GuestSimulator sim;
    private Arena arena;
    private MemorySegment source;
    private int dst = -1;
    private GuestMemory memory;
    private long next;
    private long installed;
    private int refills;

    @Setup(Level.Trial)
    public void setUp() {
        BenchSupport.reportJvmFlags();
        hv = XenHypervisor.open();
        sim = BenchSupport.simulator(hv);
        arena = Arena.ofShared();
        source = arena.allocate(MAX_BATCH * GuestMemory.PAGE_SIZE, GuestMemory.PAGE_SIZE);
        SplittableRandom rnd = new SplittableRandom(42);
        for (long off = 0; off < source.byteSize(); off += Long.BYTES) source.set(ValueLayout.JAVA_LONG, off, rnd.nextLong() | 1);
    }

    @Setup(Level.Iteration)
    public void freshDestination() {
        dst = sim.createDestination(DEST_PAGES);
        memory = hv.memory(dst);
        next = 0;
        installed = 0;
        refills = 0;
    }

    /** Installs {@code batch} pages at the next missing pfn; a full destination is replaced (inside the measurement). */
    private long install(int batch) {
        if (next + batch > DEST_PAGES) nextRun();
        long n = memory.install(next, batch, source, InstallMode.IF_MISSING);
        if (n != batch) throw new IllegalStateException("install of " + batch + " pages at " + next + " wrote " + n);
        next += batch;
        installed += n;
        return n;
    }

    private void nextRun() {
        checkPresent();
        sim.destroy(dst);
        dst = sim.createDestination(DEST_PAGES);
        memory = hv.memory(dst);
        next = 0;
        refills++;
    }

    @Benchmark
    @OperationsPerInvocation(1)
    public long batch01() {
        return install(1);
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public long batch16() {
        return install(16);
    }

    @Benchmark
    @OperationsPerInvocation(64)
    public long batch64() {
        return install(64);
    }

    private void checkPresent() {
        long present = sim.counters(dst).pagesPresent();
        if (present != next) throw new IllegalStateException("destination holds " + present + " pages, " + next + " were installed");
    }

    @TearDown(Level.Iteration)
    public void dropDestination() {
        checkPresent();
        if (refills > 0) {
            System.out.println("# InstallBenchmark: the 4 GiB destination filled " + refills + " times in this iteration ("
                    + installed + " pages); its replacement was measured");
        }
        sim.destroy(dst);
        dst = -1;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (dst >= 0) sim.destroy(dst);
        arena.close();
        hv.close();
    }
}
