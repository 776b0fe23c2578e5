package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Property: whatever bytes arrive, a connection ends in decoded frames or in a {@link ProtocolException} answered
 * with an ERROR and a close — never another exception, never a hang, never a leaked buffer. Checked on 20,000
 * mutations (bit flips, truncation, random length fields, inserted and deleted bytes, random delivery chunks) of
 * valid conversations on both sides, from a fixed seed so a failure reproduces.
 */
class MutatedFramesTest {
    private static final long SEED = 0x584D4947L;
    private static final int CASES = 20_000;

    @Test
    @Timeout(300)
    void everyMutationEndsInFramesOrAProtocolErrorWithoutLeaks() {
        Random random = new Random(SEED);
        Map<ErrorCode, Integer> outcomes = new EnumMap<>(ErrorCode.class);
        int clean = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pages = arena.allocate(8L * Protocol.PAGE_SIZE);
            for (long i = 0; i < pages.byteSize(); i++) pages.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) i);
            for (int n = 0; n < CASES; n++) {
                boolean destination = random.nextInt(4) != 0;
                ByteBuf valid = destination ? destinationConversation(random, pages) : sourceConversation(random);
                ByteBuf input = mutate(valid, random);
                valid.release();
                Wiretap side = Wiretap.decoding(destination ? FrameDecoder.Side.DESTINATION : FrameDecoder.Side.SOURCE);
                try {
                    feedInChunks(side, input, random);
                    side.channel.checkException();           // nothing escaped the error handler
                    assertThat(side.errors).as("case %d", n).hasSizeLessThanOrEqualTo(1);
                    if (side.errors.isEmpty()) {
                        clean++;
                        assertThat(side.channel.isOpen()).isTrue();
                        side.channel.close();                    // the peer goes away, perhaps mid-frame
                        side.channel.checkException();
                        assertThat(side.errors).as("case %d: a frame cut by the close is dropped silently", n).isEmpty();
                    } else {
                        ProtocolException e = side.errors.getFirst();
                        assertThat(e.code()).as("case %d: %s", n, e).isNotEqualTo(ErrorCode.INTERNAL);
                        assertThat(side.channel.isOpen()).isFalse();
                        assertThat(side.errorSent().code()).isEqualTo(e.code());
                        outcomes.merge(e.code(), 1, Integer::sum);
                    }
                } finally {
                    side.close();
                }
                assertThat(input.refCnt()).as("case %d: input released", n).isZero();
            }
        }
        System.out.println("mutated conversations: " + clean + " decoded cleanly, refused: " + outcomes);
        assertThat(outcomes).as("the mutations reach the interesting errors")
                .containsKeys(ErrorCode.MALFORMED_FRAME, ErrorCode.FRAME_TOO_LONG, ErrorCode.UNEXPECTED_FRAME,
                        ErrorCode.PAGE_OUT_OF_RANGE, ErrorCode.BAD_MAGIC, ErrorCode.VERSION_MISMATCH);
        LeakWatch.assertNoLeaks();
    }

    /** HELLO, then a few PAGES / ROUND_END frames of a bulk connection (or control frames of a control one). */
    private static ByteBuf destinationConversation(Random random, MemorySegment pages) {
        ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer();
        boolean bulk = random.nextBoolean();
        Hello hello = new Hello(bulk ? ChannelRole.BULK : ChannelRole.CONTROL, 0, Frames.SESSION, 4096, 4096, 1, 0);
        hello.encode(out);
        PagesFrameWriter writer = new PagesFrameWriter(Protocol.PAGE_SIZE);
        int frames = 1 + random.nextInt(3);
        for (int f = 0; f < frames; f++) {
            if (bulk) {
                writer.begin(out, f);
                int runs = 1 + random.nextInt(3);
                for (int r = 0; r < runs; r++) {
                    long pfn = random.nextInt(7) * 512L + random.nextInt(500);
                    int count = 1 + random.nextInt(random.nextBoolean() ? 2 : 12);
                    if (random.nextBoolean()) writer.addDataRun(pfn, Math.min(count, 2), pages);
                    else writer.addZeroRun(pfn, count);
                }
                writer.finish();
                new RoundEnd(f, writer.pages(), f == frames - 1).encode(out);
            } else {
                switch (random.nextInt(5)) {
                    case 0 -> new VcpuContext(new byte[random.nextInt(64)]).encode(out);
                    case 1 -> new Complete(f).encode(out);
                    case 2 -> new VerifyRequest(random.nextInt(4000), 1 + random.nextInt(96)).encode(out);
                    case 3 -> new Abort("stop " + f).encode(out);
                    default -> new Resume().encode(out);
                }
            }
        }
        return out;
    }

    private static ByteBuf sourceConversation(Random random) {
        ByteBuf out = ByteBufAllocator.DEFAULT.heapBuffer();
        new HelloAck(1, Protocol.maxFrameLength(4096)).encode(out);
        int frames = 1 + random.nextInt(3);
        for (int f = 0; f < frames; f++) {
            switch (random.nextInt(4)) {
                case 0 -> new Ready(random.nextInt(100_000)).encode(out);
                case 1 -> new VerifyHashes(random.nextInt(4000), random.longs(1 + random.nextInt(8)).toArray()).encode(out);
                case 2 -> new Resumed(random.nextInt(1_000_000)).encode(out);
                default -> new ErrorFrame(ErrorCode.VERIFY_FAILED, "page " + f).encode(out);
            }
        }
        return out;
    }

    /** A copy of {@code valid} with one to three random mutations; length fields are favoured targets. */
    private static ByteBuf mutate(ByteBuf valid, Random random) {
        byte[] b = new byte[valid.readableBytes()];
        valid.getBytes(valid.readerIndex(), b);
        int mutations = 1 + random.nextInt(3);
        for (int m = 0; m < mutations && b.length > 0; m++) {
            switch (random.nextInt(6)) {
                case 0, 1 -> {                                   // bit flips
                    int flips = 1 + random.nextInt(4);
                    for (int k = 0; k < flips; k++) b[random.nextInt(b.length)] ^= (byte) (1 << random.nextInt(8));
                }
                case 2 -> b = java.util.Arrays.copyOf(b, random.nextInt(b.length));    // truncation
                case 3 -> {                                      // a random 32-bit value where a length may be
                    int at = random.nextInt(Math.max(1, b.length - 3));
                    int value = switch (random.nextInt(3)) {
                        case 0 -> random.nextInt();
                        case 1 -> random.nextInt(300);
                        default -> Protocol.maxFrameLength(4096) + random.nextInt(3) - 1;
                    };
                    for (int k = 0; k < 4 && at + k < b.length; k++) b[at + k] = (byte) (value >>> (24 - 8 * k));
                }
                case 4 -> {                                      // inserted random bytes
                    int at = random.nextInt(b.length + 1);
                    byte[] extra = new byte[1 + random.nextInt(16)];
                    random.nextBytes(extra);
                    byte[] c = new byte[b.length + extra.length];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(extra, 0, c, at, extra.length);
                    System.arraycopy(b, at, c, at + extra.length, b.length - at);
                    b = c;
                }
                default -> {                                     // deleted bytes
                    int at = random.nextInt(b.length);
                    int len = Math.min(b.length - at, 1 + random.nextInt(16));
                    byte[] c = new byte[b.length - len];
                    System.arraycopy(b, 0, c, 0, at);
                    System.arraycopy(b, at + len, c, at, b.length - at - len);
                    b = c;
                }
            }
        }
        ByteBuf out = random.nextBoolean() ? ByteBufAllocator.DEFAULT.directBuffer(b.length) : ByteBufAllocator.DEFAULT.heapBuffer(b.length);
        return out.writeBytes(b);
    }

    /** Delivers {@code input} in one to four chunks, as TCP might. */
    private static void feedInChunks(Wiretap side, ByteBuf input, Random random) {
        int chunks = 1 + random.nextInt(4);
        for (int c = 0; c < chunks && input.isReadable(); c++) {
            int len = c == chunks - 1 ? input.readableBytes() : random.nextInt(input.readableBytes() + 1);
            side.feed(input.readRetainedSlice(len));
        }
        input.release();
    }
}
