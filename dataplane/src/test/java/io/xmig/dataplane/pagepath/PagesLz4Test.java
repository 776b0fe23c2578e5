package io.xmig.dataplane.pagepath;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.LeakWatch;
import io.xmig.dataplane.protocol.PagesFrameReader;
import io.xmig.dataplane.protocol.PagesFrameWriter;
import io.xmig.dataplane.protocol.PagesInflater;
import io.xmig.dataplane.protocol.Protocol;
import io.xmig.dataplane.protocol.ProtocolException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Given PAGES frames of text-like, random and zero pages, when a sender's {@link FrameCompressor} turns them into
 * PAGES_LZ4 and a destination's {@link PagesInflater} turns them back, then the reader sees exactly the plain frame's
 * runs and bytes; a frame that would not shrink goes out plain; and a damaged PAGES_LZ4 body is a MALFORMED_FRAME.
 */
class PagesLz4Test {
    private static final int PAGE = Protocol.PAGE_SIZE;
    private static final int FRAME_BYTES = 1 << 20;
    private static final long GUEST = 4096;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment text = arena.allocate(64L * PAGE, PAGE);
    private final MemorySegment random = arena.allocate(64L * PAGE, PAGE);
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    private final PagesInflater inflater = new PagesInflater(alloc, PAGE);

    PagesLz4Test() {
        Random r = new Random(7);
        String[] words = {"migration", "page", "dirty", "round", "xen", "guest", "copy", "the", "of", "hot"};
        StringBuilder sb = new StringBuilder();
        while (sb.length() < text.byteSize()) sb.append(words[r.nextInt(words.length)]).append(r.nextInt(100)).append(' ');
        MemorySegment.copy(sb.toString().getBytes(StandardCharsets.US_ASCII), 0, text, ValueLayout.JAVA_BYTE, 0, (int) text.byteSize());
        for (long i = 0; i < random.byteSize(); i += 8) random.set(ValueLayout.JAVA_LONG, i, r.nextLong());
    }

    @AfterEach
    void close() {
        inflater.close();
        arena.close();
    }

    @AfterAll
    static void noLeaks() {
        LeakWatch.assertNoLeaks();
    }

    private ByteBuf plainFrame(boolean withText) {
        ByteBuf frame = alloc.directBuffer(FRAME_BYTES, FRAME_BYTES);
        PagesFrameWriter w = new PagesFrameWriter(PAGE);
        w.begin(frame, 3);
        if (withText) w.addDataRun(0, 64, text);
        w.addZeroRun(64, 100);
        w.addDataRun(200, 60, random);
        w.finish();
        return frame;
    }

    private static byte[] body(ByteBuf frame) {
        return ByteBufUtil.getBytes(frame, Protocol.HEADER_BYTES, frame.readableBytes() - Protocol.HEADER_BYTES);
    }

    @Test
    void aCompressedFrameGivesTheDestinationExactlyThePlainFrame() {
        FrameCompressor c = new FrameCompressor(Compression.ON, alloc, FRAME_BYTES);
        ByteBuf plain = plainFrame(true);
        byte[] plainBody = body(plain);
        ByteBuf sent = c.maybeCompress(plain);
        try {
            assertThat(sent.getByte(4)).isEqualTo((byte) FrameType.PAGES_LZ4.code());
            assertThat(sent.getInt(0)).isEqualTo(sent.readableBytes() - 4);
            assertThat(sent.readableBytes()).as("text pages compress").isLessThan(plainBody.length * 3 / 4);
            assertThat(c.framesCompressed()).isEqualTo(1);
            assertThat(c.rawBytes()).isEqualTo(plainBody.length);
            assertThat(c.compressedBytes()).isEqualTo(sent.readableBytes() - Protocol.HEADER_BYTES);
            assertThat(c.cpuNanos()).isPositive();

            ByteBuf inflated = inflater.inflate(sent.slice(Protocol.HEADER_BYTES, sent.readableBytes() - Protocol.HEADER_BYTES));
            assertThat(ByteBufUtil.getBytes(inflated)).isEqualTo(plainBody);
            PagesFrameReader reader = new PagesFrameReader(GUEST, PAGE);
            reader.wrap(inflated);
            assertThat(reader.round()).isEqualTo(3);
            assertThat(reader.nextRun()).isTrue();
            assertThat(reader.data().mismatch(text)).isEqualTo(-1);
            assertThat(reader.nextRun()).isTrue();
            assertThat(reader.zero()).isTrue();
            assertThat(reader.pages()).isEqualTo(100);
            assertThat(reader.nextRun()).isTrue();
            assertThat(reader.data().mismatch(random.asSlice(0, 60L * PAGE))).isEqualTo(-1);
            assertThat(reader.nextRun()).isFalse();
        } finally {
            sent.release();
        }
    }

    @Test
    void aFrameThatWouldNotShrinkGoesOutPlain() {
        FrameCompressor c = new FrameCompressor(Compression.ON, alloc, FRAME_BYTES);
        ByteBuf plain = plainFrame(false);
        ByteBuf sent = c.maybeCompress(plain);
        try {
            assertThat(sent).isSameAs(plain);
            assertThat(sent.getByte(4)).isEqualTo((byte) FrameType.PAGES.code());
            assertThat(c.framesCompressed()).isZero();
            assertThat(c.cpuNanos()).as("the attempt's CPU is still counted").isPositive();
        } finally {
            sent.release();
        }
    }

    @Test
    void offNeverCompressesAndAutoDoesNotWhileTheLinkIsIdle() {
        for (Compression mode : new Compression[] {Compression.OFF, Compression.AUTO}) {
            FrameCompressor c = new FrameCompressor(mode, alloc, FRAME_BYTES);
            for (int i = 0; i < 3 * FrameCompressor.PROBE_EVERY; i++) {
                c.waited(1 << 20, 0, 1_000_000);                 // never waited for the link
                ByteBuf plain = plainFrame(true);
                ByteBuf sent = c.maybeCompress(plain);
                assertThat(sent).isSameAs(plain);
                sent.release();
            }
            assertThat(c.framesCompressed()).as("%s", mode).isZero();
        }
    }

    @Test
    void autoCompressesCompressibleFramesWhenTheLinkIsTheBottleneck() {
        FrameCompressor c = new FrameCompressor(Compression.AUTO, alloc, FRAME_BYTES);
        for (int i = 0; i < 4 * FrameCompressor.PROBE_EVERY; i++) {
            c.waited(1 << 20, 95_000_000, 100_000_000);         // 10 MiB/s, 95 % of the time waiting for it
            ByteBuf sent = c.maybeCompress(plainFrame(true));
            sent.release();
        }
        if (CpuLoad.coreFree()) {
            assertThat(c.framesCompressed()).as("after the first probe, every frame").isGreaterThan(2L * FrameCompressor.PROBE_EVERY);
        }
    }

    private ByteBuf compressedBody() {
        FrameCompressor c = new FrameCompressor(Compression.ON, alloc, FRAME_BYTES);
        ByteBuf sent = c.maybeCompress(plainFrame(true));
        ByteBuf body = alloc.directBuffer(sent.readableBytes()).writeBytes(sent, Protocol.HEADER_BYTES, sent.readableBytes() - Protocol.HEADER_BYTES);
        sent.release();
        return body;
    }

    private void refused(ByteBuf body, String message) {
        try {
            assertThatThrownBy(() -> inflater.inflate(body)).isInstanceOf(ProtocolException.class)
                    .hasMessageContaining(message)
                    .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        } finally {
            body.release();
        }
    }

    @Test
    void everyDamagedByteOfTheBlockIsACleanError() {
        Random r = new Random(11);
        ByteBuf good = compressedBody();
        int n = good.readableBytes();
        try {
            for (int trial = 0; trial < 200; trial++) {
                ByteBuf bad = good.copy();
                int at = Protocol.PAGES_LZ4_FIXED_BYTES + r.nextInt(n - Protocol.PAGES_LZ4_FIXED_BYTES);
                bad.setByte(at, bad.getByte(at) ^ (1 + r.nextInt(255)));
                refused(bad, "PAGES_LZ4");
            }
        } finally {
            good.release();
        }
    }

    @Test
    void lengthsThatDisagreeAreCleanErrors() {
        ByteBuf truncated = compressedBody();
        truncated.writerIndex(truncated.writerIndex() - 10);
        refused(truncated, "PAGES_LZ4");
        ByteBuf tooLong = compressedBody();
        tooLong.setInt(0, PagesInflater.maxPagesBody(PAGE) + 1);
        refused(tooLong, "raw_length");
        ByteBuf tooShort = compressedBody();
        tooShort.setInt(0, 4);
        refused(tooShort, "raw_length");
        ByteBuf smaller = compressedBody();
        smaller.setInt(0, smaller.getInt(0) - 1);
        refused(smaller, "PAGES_LZ4");
        refused(alloc.directBuffer(8).writeLong(0), "needs a u32 raw_length");
    }
}
