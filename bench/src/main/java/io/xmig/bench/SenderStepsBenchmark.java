package io.xmig.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.GuestSimulator.CreateFlag;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.pagepath.PageRuns;
import io.xmig.dataplane.protocol.Protocol;
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
import java.util.concurrent.TimeUnit;

/**
 * Two per-frame / per-run steps of {@code SenderAgent} that the page-path harness's profile pointed at, each on its
 * own, in microseconds per call (docs/BENCHMARKS.md, "Pre-copy page path"):
 * <ul>
 *   <li>{@link #allocateFrame}: {@code alloc.directBuffer(maxFrame, maxFrame)} then {@code release()}, where
 *       {@code alloc} is {@code ByteBufAllocator.DEFAULT} (what {@code channel.alloc()} returns) and {@code maxFrame}
 *       = {@code Protocol.maxFrameLength(4096) + 4} = 1,049,616 bytes: what {@code SenderAgent.beginFrame} asks for
 *       before every PAGES frame ({@code frameBytes=1049616}), and, for contrast, the same call for exactly 1 MiB
 *       ({@code frameBytes=1048576}): Netty 4.2's adaptive allocator pools buffers up to 1 MiB
 *       ({@code AdaptivePoolingAllocator.MAX_POOLED_BUF_SIZE}) and allocates anything larger as a new direct buffer.
 *       The trial setup prints the allocator and the buffer class it hands out.</li>
 *   <li>{@link #mapCheckUnmap}: {@code SenderAgent.sendRun} without the frame: {@code memory.mapRun(pfn, 256, false)}
 *       of a 1 GiB idle guest (created paused; every page non-zero), the zero-page test of every page as the sender
 *       does it ({@code MemorySegment.mismatch} against a zero page, which stops at the first non-zero byte, so it
 *       reads one word per page but touches, hence faults in, every page of the new mapping), then the unmap. Runs
 *       cycle through the guest's 1,024 runs of 256 pages. A run that tests zero fails the benchmark.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
@Fork(3)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class SenderStepsBenchmark {
    static final int MAX_FRAME = Protocol.maxFrameLength((int) GuestMemory.PAGE_SIZE) + 4;
    static final MemorySegment ZERO_PAGE = Arena.global().allocate(GuestMemory.PAGE_SIZE);

    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

    @Setup(Level.Trial)
    public void setUp() {
        BenchSupport.reportJvmFlags();
        for (int n : new int[] {MAX_FRAME, 1 << 20}) {
            ByteBuf b = alloc.directBuffer(n, n);
            System.out.printf("%n# allocator %s gives %s for %d bytes%n", alloc.getClass().getName(), b.getClass().getName(), n);
            b.release();
        }
    }

    @State(Scope.Thread)
    public static class Guest {
        static final long PAGES = 262_144;
        XenHypervisor hv;
        GuestSimulator sim;
        int domid = -1;
        GuestMemory memory;
        long next;

        @Setup(Level.Trial)
        public void create() {
            hv = XenHypervisor.open();
            sim = BenchSupport.simulator(hv);
            domid = sim.createDomain(PAGES, "idle", 0x5eedL, CreateFlag.PAUSED);
            memory = hv.memory(domid);
        }

        @TearDown(Level.Trial)
        public void destroy() {
            if (domid >= 0) sim.destroy(domid);
            hv.close();
        }
    }

    /** The buffer size asked for: the sender's, and exactly 1 MiB (the allocator's largest pooled size) for contrast. */
    @State(Scope.Thread)
    public static class FrameSize {
        @Param({"1049616", "1048576"})
        public int frameBytes;
    }

    @Benchmark
    public int allocateFrame(FrameSize size) {
        ByteBuf b = alloc.directBuffer(size.frameBytes, size.frameBytes);
        int cap = b.capacity();
        b.release();
        return cap;
    }

    @Benchmark
    public int mapCheckUnmap(Guest g) {
        long pfn = g.next;
        g.next = (pfn + PageRuns.MAX_RUN_PAGES) % Guest.PAGES;
        int nonZero = 0;
        try (PageMapping m = g.memory.mapRun(pfn, PageRuns.MAX_RUN_PAGES, false)) {
            MemorySegment run = m.segment();
            for (int i = 0; i < PageRuns.MAX_RUN_PAGES; i++) {
                long off = (long) i * GuestMemory.PAGE_SIZE;
                if (MemorySegment.mismatch(run, off, off + GuestMemory.PAGE_SIZE, ZERO_PAGE, 0, GuestMemory.PAGE_SIZE) != -1) nonZero++;
            }
        }
        if (nonZero != PageRuns.MAX_RUN_PAGES) throw new IllegalStateException("run at " + pfn + " has zero pages");
        return nonZero;
    }
}
