package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page path allocates nothing per page: {@link PagesFrameWriter} and {@link PagesFrameReader}, reused over
 * 10,000 frames after a warm-up, measured with the JVM's per-thread allocation counter.
 *
 * <p>The bound is 8 bytes per page, half the smallest Java object (16 bytes): one object per page cannot fit under
 * it. What the page path may allocate is one {@link PagesFrameReader#data()} view (40 bytes) per data run, when the
 * JIT does not scalar-replace it: measured 1.25 bytes/page for 16-page runs and 5 bytes/page for 4-page runs (half of
 * them data) with {@code -XX:-DoEscapeAnalysis} or C1 only, and 0 once C2 has compiled the loop. The buffers come
 * from an allocator with leak detection off: at PARANOID every buffer access records a stack trace, which is the
 * detector's allocation, not the page path's.
 */
class PagesAllocationTest {
    private static final int PAGE = Protocol.PAGE_SIZE;
    private static final double BOUND_BYTES_PER_PAGE = 8.0;

    @Test
    void writingAndReadingPagesAllocatesLessThanHalfAnObjectPerPage() {
        // 8 data runs and 8 zero runs of 16 pages: 256 pages, 128 of them copied and read back.
        double perPage = measure(16, 16);
        System.out.printf("PAGES write+read, 16 runs of 16 pages: %.4f bytes allocated per page%n", perPage);
        assertThat(perPage).isLessThan(BOUND_BYTES_PER_PAGE);
    }

    @Test
    void evenAFrameOfSixtyFourShortRunsAllocatesLessThanHalfAnObjectPerPage() {
        double perPage = measure(64, 4);
        System.out.printf("PAGES write+read, 64 runs of 4 pages: %.4f bytes allocated per page%n", perPage);
        assertThat(perPage).isLessThan(BOUND_BYTES_PER_PAGE);
    }

    /** The control: the same counter does see one small object per page, at 16 bytes or more each. */
    @Test
    void theCounterSeesOneObjectPerPage() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assertThat(threads.isThreadAllocatedMemoryEnabled()).isTrue();
        Object[] keep = new Object[256];
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int frame = 0; frame < 1_000; frame++) {
            for (int page = 0; page < 256; page++) keep[page] = new long[] {page};
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(keep[255]).isNotNull();
        assertThat((double) allocated / (1_000 * 256)).isGreaterThanOrEqualTo(16.0);
    }

    private static double measure(int runs, int pagesPerRun) {
        var alloc = new UnpooledByteBufAllocator(true, true);
        ByteBuf out = alloc.directBuffer(4 + Protocol.maxFrameLength(PAGE));
        assertThat(out.hasMemoryAddress()).as("Netty direct buffers expose their address on this JVM").isTrue();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment guest = arena.allocate((long) runs * pagesPerRun * PAGE * 2, PAGE);
            PagesFrameWriter writer = new PagesFrameWriter(PAGE);
            PagesFrameReader reader = new PagesFrameReader(1L << 20, PAGE);
            reader.expectChannel(0, 1);
            int frameBytes = frame(writer, out, guest, runs, pagesPerRun);
            ByteBuf body = out.slice(Protocol.HEADER_BYTES, frameBytes - Protocol.HEADER_BYTES);
            long sink = 0;
            for (int i = 0; i < 20_000; i++) sink += roundTrip(writer, reader, out, body, guest, runs, pagesPerRun);
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            int frames = 10_000;
            for (int i = 0; i < frames; i++) sink += roundTrip(writer, reader, out, body, guest, runs, pagesPerRun);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(sink).isNotZero();
            return (double) allocated / ((long) frames * runs * pagesPerRun);
        } finally {
            out.release();
        }
    }

    private static int frame(PagesFrameWriter writer, ByteBuf out, MemorySegment guest, int runs, int pagesPerRun) {
        out.clear();
        writer.begin(out, 1);
        for (int r = 0; r < runs; r++) {
            long pfn = (long) r * pagesPerRun * 2;                   // runs with gaps, all in stripe 0 for 64 x 4
            if (r % 2 == 0) writer.addDataRun(pfn, pagesPerRun, guest.asSlice(pfn * PAGE));
            else writer.addZeroRun(pfn, pagesPerRun);
        }
        return writer.finish();
    }

    private static long roundTrip(PagesFrameWriter writer, PagesFrameReader reader, ByteBuf out, ByteBuf body,
                                  MemorySegment guest, int runs, int pagesPerRun) {
        frame(writer, out, guest, runs, pagesPerRun);
        reader.wrap(body);
        long sum = reader.totalPages();
        while (reader.nextRun()) {
            sum += reader.firstPfn();
            if (!reader.zero()) sum += reader.data().get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        }
        return sum;
    }
}
