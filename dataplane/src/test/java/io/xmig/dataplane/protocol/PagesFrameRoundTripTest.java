package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Given guest pages written by a {@link PagesFrameWriter} into any kind of Netty buffer, when the frame crosses a
 * destination's {@link FrameDecoder} and is read by a {@link PagesFrameReader}, then every run comes back with its
 * pfn, length and zero flag, and every data page equals the source page byte for byte.
 */
class PagesFrameRoundTripTest {
    private static final int PAGE = Protocol.PAGE_SIZE;
    private final Arena arena = Arena.ofConfined();
    /** 1024 pages of random "guest memory" (two stripes). */
    private final MemorySegment guest = arena.allocate(1024L * PAGE, PAGE);

    PagesFrameRoundTripTest() {
        Random random = new Random(42);
        for (long i = 0; i < guest.byteSize(); i += 8) guest.set(ValueLayout.JAVA_LONG, i, random.nextLong());
    }

    @AfterEach
    void closeArena() {
        arena.close();
    }

    @AfterAll
    static void noLeaks() {
        LeakWatch.assertNoLeaks();
    }

    enum OutBuffer {
        POOLED_DIRECT, POOLED_HEAP, COMPOSITE;

        ByteBuf allocate() {
            return switch (this) {
                case POOLED_DIRECT -> ByteBufAllocator.DEFAULT.directBuffer(64);
                case POOLED_HEAP -> ByteBufAllocator.DEFAULT.heapBuffer(64);
                case COMPOSITE -> {
                    CompositeByteBuf c = ByteBufAllocator.DEFAULT.compositeDirectBuffer();
                    c.addComponent(true, Unpooled.directBuffer(16).writeZero(16)); // a frame not at index 0
                    c.skipBytes(16);
                    yield c;
                }
            };
        }
    }

    private MemorySegment pages(long firstPfn, int count) {
        return guest.asSlice(firstPfn * PAGE, (long) count * PAGE);
    }

    @ParameterizedTest
    @EnumSource(OutBuffer.class)
    void mixedZeroAndDataRunsArriveByteForByte(OutBuffer kind) {
        PagesFrameWriter writer = new PagesFrameWriter(PAGE);
        ByteBuf out = kind.allocate();
        writer.begin(out, 3);
        writer.addDataRun(0, 16, pages(0, 16));
        writer.addZeroRun(16, 100);
        writer.addDataRun(200, 1, pages(200, 1));
        writer.addDataRun(480, 32, pages(480, 32));          // ends exactly at the stripe boundary (512)
        writer.addZeroRun(512, 7);
        writer.addDataRun(1000, 24, pages(1000, 24));
        assertThat(writer.runs()).isEqualTo(6);
        assertThat(writer.pages()).isEqualTo(180);
        int bytes = writer.finish();
        assertThat(bytes).isEqualTo(Protocol.HEADER_BYTES + Protocol.PAGES_FIXED_BYTES + 6 * Protocol.RUN_HEADER_BYTES
                + (16 + 1 + 32 + 24) * PAGE);
        assertThat(out.readableBytes()).isEqualTo(bytes);

        try (Wiretap dst = Wiretap.destination().handshake(Frames.hello(ChannelRole.BULK, 0, 1))) {
            Frame frame = dst.roundTrip(out);
            try {
                assertThat(frame.type()).isEqualTo(FrameType.PAGES);
                PagesFrameReader reader = new PagesFrameReader(Frames.GUEST_PAGES, PAGE);
                reader.expectChannel(0, 1);
                reader.wrap(frame.body());
                assertThat(reader.round()).isEqualTo(3);
                assertThat(reader.runCount()).isEqualTo(6);
                assertThat(reader.totalPages()).isEqualTo(180);
                long[][] expected = {{0, 16, 0}, {16, 100, 1}, {200, 1, 0}, {480, 32, 0}, {512, 7, 1}, {1000, 24, 0}};
                for (long[] run : expected) {
                    assertThat(reader.nextRun()).isTrue();
                    assertThat(reader.firstPfn()).isEqualTo(run[0]);
                    assertThat(reader.pages()).isEqualTo((int) run[1]);
                    assertThat(reader.zero()).isEqualTo(run[2] == 1);
                    if (!reader.zero()) {
                        MemorySegment data = reader.data();
                        assertThat(data.byteSize()).isEqualTo(run[1] * PAGE);
                        assertThat(data.mismatch(pages(run[0], (int) run[1]))).as("run at pfn %d", run[0]).isEqualTo(-1);
                        assertThat(frame.body().getByte(reader.dataIndex())).isEqualTo(data.get(ValueLayout.JAVA_BYTE, 0));
                    }
                }
                assertThat(reader.nextRun()).isFalse();
            } finally {
                frame.release();
            }
        }
    }

    @Test
    void theReaderViewsDirectMemoryInPlaceAndHeapMemoryWithoutCopying() {
        PagesFrameReader reader = new PagesFrameReader(Frames.GUEST_PAGES, PAGE);
        for (ByteBuf out : new ByteBuf[] {ByteBufAllocator.DEFAULT.directBuffer(), ByteBufAllocator.DEFAULT.heapBuffer()}) {
            PagesFrameWriter writer = new PagesFrameWriter(PAGE);
            writer.begin(out, 0);
            writer.addDataRun(5, 2, pages(5, 2));
            writer.finish();
            ByteBuf body = out.slice(Protocol.HEADER_BYTES, out.readableBytes() - Protocol.HEADER_BYTES);
            reader.wrap(body);
            assertThat(reader.nextRun()).isTrue();
            MemorySegment data = reader.data();
            assertThat(data.isNative()).isEqualTo(out.isDirect());
            // A view, not a copy: a write into the buffer shows through.
            body.setByte(reader.dataIndex(), ~data.get(ValueLayout.JAVA_BYTE, 0));
            assertThat(data.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo(body.getByte(reader.dataIndex()));
            out.release();
        }
    }

    @Test
    void aFullFrameHoldsSixtyFourRunsAndTwoHundredFiftySixPages() {
        PagesFrameWriter writer = new PagesFrameWriter(PAGE);
        ByteBuf out = ByteBufAllocator.DEFAULT.directBuffer();
        writer.begin(out, 1);
        for (int r = 0; r < Protocol.MAX_RUNS_PER_FRAME; r++) {
            assertThat(writer.fits(1, 4)).isTrue();
            writer.addDataRun(r * 8L, 4, pages(r * 8L, 4));
        }
        assertThat(writer.fits(1, 1)).as("65th run").isFalse();
        assertThat(writer.fits(0, 1)).as("257th page").isFalse();
        assertThat(writer.finish()).isEqualTo(4 + Protocol.maxFrameLength(PAGE));
        try (Wiretap dst = Wiretap.destination().handshake(Frames.bulkHello())) {
            Frame frame = dst.roundTrip(out);
            PagesFrameReader reader = new PagesFrameReader(Frames.GUEST_PAGES, PAGE);
            reader.wrap(frame.body());
            assertThat(reader.runCount()).isEqualTo(64);
            assertThat(reader.totalPages()).isEqualTo(256);
            int runs = 0;
            while (reader.nextRun()) {
                assertThat(reader.data().mismatch(pages(reader.firstPfn(), 4))).isEqualTo(-1);
                runs++;
            }
            assertThat(runs).isEqualTo(64);
            frame.release();
        }
    }

    @Test
    void pagesOfOneStripeAreAcceptedOnlyOnTheBulkChannelThatOwnsIt() {
        // 4 bulk channels: pfn 512..1023 is stripe 1, owned by channel 1.
        assertThat(Protocol.bulkChannelOf(511, 4)).isZero();
        assertThat(Protocol.bulkChannelOf(512, 4)).isEqualTo(1);
        assertThat(Protocol.bulkChannelOf(4 * 512, 4)).isZero();
        PagesFrameWriter writer = new PagesFrameWriter(PAGE);
        ByteBuf out = ByteBufAllocator.DEFAULT.directBuffer();
        writer.begin(out, 0);
        writer.addZeroRun(600, 10);
        writer.finish();
        ByteBuf body = out.slice(Protocol.HEADER_BYTES, out.readableBytes() - Protocol.HEADER_BYTES);
        PagesFrameReader onOwner = new PagesFrameReader(Frames.GUEST_PAGES, PAGE);
        onOwner.expectChannel(1, 4);
        onOwner.wrap(body);
        PagesFrameReader elsewhere = new PagesFrameReader(Frames.GUEST_PAGES, PAGE);
        elsewhere.expectChannel(2, 4);
        assertThatThrownBy(() -> elsewhere.wrap(body)).isInstanceOfSatisfying(ProtocolException.class, e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.UNEXPECTED_FRAME);
            assertThat(e.getMessage()).contains("pfn 600 belongs on bulk channel 1 of 4", "arrived on channel 2");
        });
        assertThat(elsewhere.runCount()).as("nothing to iterate after a refused frame").isZero();
        out.release();
    }

    @Test
    void theWriterRefusesRunsTheReaderWouldRefuse() {
        PagesFrameWriter writer = new PagesFrameWriter(PAGE);
        ByteBuf out = ByteBufAllocator.DEFAULT.directBuffer();
        try {
            assertThatThrownBy(() -> writer.addZeroRun(0, 1)).isInstanceOf(IllegalStateException.class);
            writer.begin(out, 0);
            assertThatThrownBy(writer::finish).hasMessageContaining("at least one run");
            assertThatThrownBy(() -> writer.addZeroRun(510, 4)).hasMessageContaining("crosses the stripe boundary at 512");
            assertThatThrownBy(() -> writer.addZeroRun(0, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> writer.addZeroRun(0, 257)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> writer.addDataRun(0, 2, pages(0, 1))).hasMessageContaining("the source has 4096");
            writer.addZeroRun(0, 256);
            assertThatThrownBy(() -> writer.addZeroRun(512, 1)).hasMessageContaining("frame full");
            assertThat(writer.finish()).isEqualTo(Protocol.HEADER_BYTES + Protocol.PAGES_FIXED_BYTES + Protocol.RUN_HEADER_BYTES);
        } finally {
            out.release();
        }
    }

    @Test
    void oneWriterAndOneReaderServeFrameAfterFrame() {
        PagesFrameWriter writer = new PagesFrameWriter(PAGE);
        PagesFrameReader reader = new PagesFrameReader(Frames.GUEST_PAGES, PAGE);
        ByteBuf out = ByteBufAllocator.DEFAULT.directBuffer();
        try (Wiretap dst = Wiretap.destination().handshake(Frames.bulkHello())) {
            for (int round = 0; round < 5; round++) {
                writer.begin(out, round);
                writer.addDataRun(round * 100L, round + 1, pages(round * 100L, round + 1));
                writer.finish();
            }
            dst.feed(out);
            var frames = dst.frames();
            assertThat(frames).hasSize(5);
            for (int round = 0; round < 5; round++) {
                Frame f = frames.get(round);
                reader.wrap(f.body());
                assertThat(reader.round()).isEqualTo(round);
                assertThat(reader.nextRun()).isTrue();
                assertThat(reader.firstPfn()).isEqualTo(round * 100L);
                assertThat(reader.data().mismatch(pages(round * 100L, round + 1))).isEqualTo(-1);
                f.release();
            }
        }
    }
}
