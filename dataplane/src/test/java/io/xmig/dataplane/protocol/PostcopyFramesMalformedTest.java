package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every post-copy frame refuses malformed input with a ProtocolException that names the defect, before it is used. */
class PostcopyFramesMalformedTest {
    private static final long GUEST = 1000;
    private static final java.util.List<ByteBuf> ALLOCATED = new java.util.ArrayList<>();

    /** A buffer released after the test: the leak check must not see these. */
    private static ByteBuf buf() {
        ByteBuf b = Unpooled.buffer();
        ALLOCATED.add(b);
        return b;
    }

    @org.junit.jupiter.api.AfterEach
    void release() {
        ALLOCATED.forEach(ByteBuf::release);
        ALLOCATED.clear();
    }

    @org.junit.jupiter.api.AfterAll
    static void noLeaks() {
        LeakWatch.assertNoLeaks();
    }

    /** The body of a frame written by {@code encoder} (after the 8-byte header), or the raw bytes given. */
    private static ByteBuf body(Consumer<ByteBuf> encoder) {
        ByteBuf b = buf();
        encoder.accept(b);
        return b.skipBytes(Protocol.HEADER_BYTES);
    }

    private static ByteBuf raw(long... u64s) {
        ByteBuf b = buf();
        for (long v : u64s) b.writeLong(v);
        return b;
    }

    @Test
    void wellFormedPostcopyFramesRoundTrip() {
        long[] w = {0b1011L, 0, 1L << 63};
        BitmapChunk c = new BitmapChunk(FrameType.POSTCOPY_DISCARD, 64, w);
        assertThat(BitmapChunk.decode(FrameType.POSTCOPY_DISCARD, body(c::encode), GUEST)).isEqualTo(c);
        assertThat(PostcopyStart.decode(body(new PostcopyStart(-1, 1000)::encode), GUEST)).isEqualTo(new PostcopyStart(-1, 1000));
        assertThat(PostcopyDone.decode(body(new PostcopyDone(3, true)::encode))).isEqualTo(new PostcopyDone(3, true));
        PostcopyComplete pc = new PostcopyComplete(1, 2, 3, 4, 5, 6, 7, 8);
        assertThat(PostcopyComplete.decode(body(pc::encode))).isEqualTo(pc);
        assertThat(RecoverReady.decode(body(new RecoverReady(9)::encode))).isEqualTo(new RecoverReady(9));
        long[] into = new long[Protocol.MAX_FAULT_PAGES];
        assertThat(FaultRequest.decodeInto(body(b -> FaultRequest.encode(b, new long[]{7, 999}, 2)), GUEST, into)).isEqualTo(2);
        assertThat(into[1]).isEqualTo(999);
    }

    @Test
    void aBitmapSplitIntoChunksIsRebuiltExactly() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            long pages = 600_000;                                 // more than one chunk's 524,288 pages
            var bits = io.xmig.dataplane.hypervisor.PageBitmap.allocate(arena, pages);
            for (long p : new long[]{0, 63, 64, 4095, 524_287, 524_288, pages - 1}) bits.set(p);
            var chunks = BitmapChunk.split(FrameType.POSTCOPY_DISCARD, bits);
            assertThat(chunks).hasSize(2);
            var rebuilt = io.xmig.dataplane.hypervisor.PageBitmap.allocate(arena, pages);
            for (BitmapChunk c : chunks) BitmapChunk.decode(FrameType.POSTCOPY_DISCARD, body(c::encode), pages).orInto(rebuilt);
            assertThat(rebuilt.sameBits(bits)).isTrue();
            assertThat(BitmapChunk.split(FrameType.WRITTEN_PAGES, io.xmig.dataplane.hypervisor.PageBitmap.allocate(arena, 100)))
                    .as("nothing set: no chunk").isEmpty();
        }
    }

    @Test
    void aBitmapChunkThatIsMisalignedEmptyShortOrBeyondTheGuestIsRefused() {
        // first_pfn not a multiple of 64
        ByteBuf misaligned = buf().writeLong(3).writeInt(1).writeInt(0).writeLong(1);
        assertThatThrownBy(() -> BitmapChunk.decode(FrameType.POSTCOPY_DISCARD, misaligned, GUEST))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("multiple of 64");
        // zero words
        ByteBuf empty = buf().writeLong(0).writeInt(0).writeInt(0);
        assertThatThrownBy(() -> BitmapChunk.decode(FrameType.POSTCOPY_DISCARD, empty, GUEST))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("words 0");
        // announces two words, carries one
        ByteBuf shortBody = buf().writeLong(0).writeInt(2).writeInt(0).writeLong(1);
        assertThatThrownBy(() -> BitmapChunk.decode(FrameType.WRITTEN_PAGES, shortBody, GUEST))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("announces 2 words");
        // a bit for page 1000 in a 1000-page guest (word 15 holds pages 960..1023; bit 40 = page 1000)
        long[] w = new long[16];
        w[15] = 1L << 40;
        ByteBuf beyond = body(new BitmapChunk(FrameType.RECOVER_MISSING, 0, w)::encode);
        assertThatThrownBy(() -> BitmapChunk.decode(FrameType.RECOVER_MISSING, beyond, GUEST))
                .isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.PAGE_OUT_OF_RANGE))
                .hasMessageContaining("past the guest");
        // a chunk that starts beyond the guest
        ByteBuf far = body(new BitmapChunk(FrameType.POSTCOPY_DISCARD, 1024, new long[]{1})::encode);
        assertThatThrownBy(() -> BitmapChunk.decode(FrameType.POSTCOPY_DISCARD, far, GUEST))
                .isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.PAGE_OUT_OF_RANGE));
    }

    @Test
    void aFaultRequestWithABadCountLengthOrPageIsRefused() {
        long[] into = new long[Protocol.MAX_FAULT_PAGES];
        ByteBuf none = buf().writeInt(0).writeInt(0);
        assertThatThrownBy(() -> FaultRequest.decodeInto(none, GUEST, into)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("count 0");
        ByteBuf tooMany = buf().writeInt(65).writeInt(0);
        assertThatThrownBy(() -> FaultRequest.decodeInto(tooMany, GUEST, into)).hasMessageContaining("count 65");
        ByteBuf disagree = buf().writeInt(2).writeInt(0).writeLong(1);
        assertThatThrownBy(() -> FaultRequest.decodeInto(disagree, GUEST, into)).hasMessageContaining("disagrees");
        ByteBuf beyond = buf().writeInt(1).writeInt(0).writeLong(GUEST);
        assertThatThrownBy(() -> FaultRequest.decodeInto(beyond, GUEST, into)).isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.PAGE_OUT_OF_RANGE));
    }

    @Test
    void theOtherPostcopyFramesRefuseWrongLengthsAndValues() {
        ByteBuf start = buf().writeInt(-2).writeLong(5);
        assertThatThrownBy(() -> PostcopyStart.decode(start, GUEST)).hasMessageContaining("last_round -2");
        ByteBuf tooMissing = buf().writeInt(0).writeLong(GUEST + 1);
        assertThatThrownBy(() -> PostcopyStart.decode(tooMissing, GUEST)).isInstanceOf(ProtocolException.class)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.PAGE_OUT_OF_RANGE));
        ByteBuf flags = buf().writeInt(1).writeInt(6);
        assertThatThrownBy(() -> PostcopyDone.decode(flags)).hasMessageContaining("flags");
        assertThatThrownBy(() -> PostcopyComplete.decode(raw(1, 2, 3))).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("bytes");
        assertThatThrownBy(() -> PostcopyRunning.decode(raw(1))).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> RecoverReady.decode(raw(1, 2))).isInstanceOf(ProtocolException.class);
        assertThatThrownBy(() -> RecoverReady.decode(raw(-1L))).hasMessageContaining("exceeds");
    }

    @Test
    void aHelloWithAnUnknownCapabilityIsRefusedButRecoverIsAccepted() {
        java.util.UUID id = java.util.UUID.randomUUID();
        Hello recover = new Hello(ChannelRole.CONTROL, 0, id, GUEST, 4096, 1, Hello.CAP_RECOVER);
        assertThat(Hello.decode(body(recover::encode)).recover()).isTrue();
        Hello unknown = new Hello(ChannelRole.CONTROL, 0, id, GUEST, 4096, 1, 0x0004);
        assertThatThrownBy(() -> Hello.decode(body(unknown::encode))).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("capabilities 0x0004");
    }
}
