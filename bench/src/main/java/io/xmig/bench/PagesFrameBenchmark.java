package io.xmig.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.protocol.PagesFrameReader;
import io.xmig.dataplane.protocol.PagesFrameWriter;
import io.xmig.dataplane.protocol.Protocol;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * PAGES frames (0x10) of 64 pages, built and parsed by the protocol's flyweights, in pages/s
 * ({@code @OperationsPerInvocation(64)}).
 *
 * <p>{@code shape}: {@code 1x64} is one data run of 64 contiguous pages; {@code 64x1} is 64 runs of one page each, at
 * every other pfn of one stripe (scattered dirty pages). Both are 64 pages, 262,144 data bytes, per frame. The page
 * data comes from a 256 MiB off-heap segment of random odd (so non-zero) longs standing in for the guest's memory:
 * each frame takes the next 64 pages of it, wrapping round, so the source is not cache-resident (256 MiB is larger
 * than the machine's caches), as a round-0 sender's is not.
 *
 * <ul>
 *   <li>{@link #encode}: {@code PagesFrameWriter.begin} into a direct buffer from {@code ByteBufAllocator.DEFAULT}
 *       (what {@code channel.alloc()} returns; the trial setup prints its class) of {@code maxFrameLength + 4} bytes,
 *       allocated once per trial and {@code clear()}ed per frame (so unlike the sender's, this buffer is warm, and
 *       its allocation is not timed: {@code SenderStepsBenchmark.allocateFrame} times that); {@code addDataRun} per
 *       run with a slice of the source, as {@code SenderAgent.sendRun} passes it; {@code finish}. Timed: header
 *       writes, run checks, one {@code MemorySegment.copy} per run (the 256 KiB of data).</li>
 *   <li>{@link #decode}: {@code PagesFrameReader.wrap} (validates the whole frame, with the bulk-channel check on, as
 *       the destination does) of a frame encoded once in the trial setup, then {@code nextRun} through it, handing
 *       each run's {@code firstPfn}, {@code pages} and {@code data()} view to the blackhole. No byte of page data is
 *       read: at the destination that is the install's ({@code UFFDIO_COPY}'s) work.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(3)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class PagesFrameBenchmark {
    static final int PAGE = (int) GuestMemory.PAGE_SIZE;
    static final int PAGES_PER_FRAME = 64;
    static final int MAX_FRAME = Protocol.maxFrameLength(PAGE) + 4;     // what SenderAgent allocates per frame
    static final long GUEST_PAGES = 262_144;
    static final long FIRST_PFN = 4096;                     // stripe 8: channel 0 of 1
    static final long SOURCE_BYTES = 256L << 20;
    static final long FRAME_DATA = (long) PAGES_PER_FRAME * PAGE;

    @Param({"1x64", "64x1"})
    public String shape;

    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private Arena arena;
    private MemorySegment source;
    private ByteBuf out, outAllocated;
    private ByteBuf frame, frameAllocated;
    private ByteBuf body;
    private long[] pfns;
    private int[] counts;
    private long[] offsets;
    private long sourceAt;
    private PagesFrameWriter writer;
    private PagesFrameReader reader;

    @Setup(Level.Trial)
    public void setUp() {
        BenchSupport.reportJvmFlags();
        arena = Arena.ofShared();
        source = arena.allocate(SOURCE_BYTES, 4096);
        SplittableRandom rnd = new SplittableRandom(0x5eed);
        for (long i = 0; i < source.byteSize() / 8; i++) source.setAtIndex(ValueLayout.JAVA_LONG, i, rnd.nextLong() | 1);
        int runs = shape.equals("1x64") ? 1 : PAGES_PER_FRAME;
        int perRun = PAGES_PER_FRAME / runs;
        pfns = new long[runs];
        counts = new int[runs];
        offsets = new long[runs];
        for (int r = 0; r < runs; r++) {
            pfns[r] = runs == 1 ? FIRST_PFN : FIRST_PFN + 2L * r;
            counts[r] = perRun;
            offsets[r] = (long) r * perRun * PAGE;
        }
        writer = new PagesFrameWriter(PAGE);
        reader = new PagesFrameReader(GUEST_PAGES, PAGE);
        reader.expectChannel(0, 1);
        outAllocated = alloc.directBuffer(MAX_FRAME, MAX_FRAME);
        frameAllocated = alloc.directBuffer(MAX_FRAME, MAX_FRAME);
        out = unwrapLeakTracking(outAllocated);
        frame = unwrapLeakTracking(frameAllocated);
        sourceAt = 0;
        encodeInto(frame);
        sourceAt = 0;
        body = frame.slice(Protocol.HEADER_BYTES, frame.readableBytes() - Protocol.HEADER_BYTES);
        reader.wrap(body);
        int pages = 0;
        while (reader.nextRun()) {
            if (reader.data().mismatch(source.asSlice(offsets[pages / perRun], (long) reader.pages() * PAGE)) != -1) {
                throw new IllegalStateException("decoded data differs from the source");
            }
            pages += reader.pages();
        }
        if (pages != PAGES_PER_FRAME) throw new IllegalStateException(pages + " pages decoded");
        System.out.printf("%n# allocator %s, frame %d bytes for %d pages in %d run(s), out buffer %s%n",
                alloc.getClass().getName(), frame.readableBytes(), PAGES_PER_FRAME, runs, out.getClass().getName());
    }

    /**
     * Netty's default leak detection (SIMPLE) wraps about one buffer in 128 in a leak-tracking wrapper; which fork gets
     * one would be chance, so the benchmark writes to the buffer underneath (and releases the wrapper).
     */
    private static ByteBuf unwrapLeakTracking(ByteBuf b) {
        return b.getClass().getSimpleName().contains("LeakAware") ? b.unwrap() : b;
    }

    private int encodeInto(ByteBuf buf) {
        long base = sourceAt;
        sourceAt = (base + FRAME_DATA) % SOURCE_BYTES;
        buf.clear();
        writer.begin(buf, 1);
        for (int r = 0; r < pfns.length; r++) {
            writer.addDataRun(pfns[r], counts[r], source.asSlice(base + offsets[r], (long) counts[r] * PAGE));
        }
        return writer.finish();
    }

    @Benchmark
    @OperationsPerInvocation(PAGES_PER_FRAME)
    public int encode() {
        return encodeInto(out);
    }

    @Benchmark
    @OperationsPerInvocation(PAGES_PER_FRAME)
    public int decode(Blackhole bh) {
        reader.wrap(body);
        while (reader.nextRun()) {
            bh.consume(reader.firstPfn());
            bh.consume(reader.pages());
            bh.consume(reader.data());
        }
        return reader.totalPages();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        outAllocated.release();
        frameAllocated.release();
        arena.close();
    }
}
