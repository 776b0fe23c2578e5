package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.xmig.dataplane.protocol.FrameDecoder.Side.DESTINATION;
import static io.xmig.dataplane.protocol.FrameDecoder.Side.SOURCE;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of malformed input is refused with its error code and a message that names what was wrong; the
 * refusing side writes an ERROR frame with that code and message, closes the connection, installs nothing from the
 * bad frame and leaks no buffer.
 */
class MalformedInputTest {
    private static final long GUEST = Frames.GUEST_PAGES;
    private final List<ByteBuf> fed = new ArrayList<>();
    private Wiretap side;

    @AfterEach
    void nothingLeaked() {
        if (side != null) side.close();
        for (ByteBuf b : fed) assertThat(b.refCnt()).as("input buffer released").isZero();
        LeakWatch.assertNoLeaks();
    }

    private Wiretap destination() {
        return side = Wiretap.decoding(DESTINATION);
    }

    private Wiretap bulkDestination() {
        return destination().handshake(Frames.bulkHello());
    }

    private Wiretap controlDestination() {
        return destination().handshake(Frames.controlHello());
    }

    private ByteBuf track(ByteBuf b) {
        fed.add(b);
        return b;
    }

    /** Feeds {@code input}, then checks the whole refusal: code, message, ERROR written back, channel closed. */
    private ProtocolException refused(ByteBuf input, ErrorCode code, String... messageParts) {
        side.feed(track(input));
        ProtocolException e = side.error();
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.getMessage()).contains(messageParts);
        ErrorFrame sent = side.errorSent();
        assertThat(sent.code()).isEqualTo(code);
        assertThat(sent.message()).isEqualTo(e.getMessage());
        assertThat((Object) side.channel.readOutbound()).as("nothing after the ERROR").isNull();
        assertThat(side.channel.isOpen()).as("connection closed").isFalse();
        assertThat(input.refCnt()).isZero();
        return e;
    }

    private static ByteBuf hello(int magic, int version) {
        return Frames.raw(FrameType.HELLO, Frames.helloBody(magic, version, 2, 0, GUEST, 4096, 1, 0));
    }

    // --- handshake ---------------------------------------------------------------------------------------------

    @Test
    void aHelloWithTheWrongMagicIsBadMagic() {
        destination();
        refused(hello(0x48545450, 1), ErrorCode.BAD_MAGIC, "magic 0x48545450", "0x584d4947");
        assertThat(side.decoder.hello()).isNull();
    }

    @Test
    void aHelloOfAnotherVersionIsAVersionMismatchNamingBothVersions() {
        destination();
        refused(hello(Protocol.MAGIC, 2), ErrorCode.VERSION_MISMATCH, "version 2", "version 1");
    }

    @Test
    void aHelloAckOfAnotherVersionIsAVersionMismatchOnTheSource() {
        side = Wiretap.decoding(SOURCE);
        refused(Frames.raw(FrameType.HELLO_ACK, b -> b.writeShort(7).writeShort(0).writeInt(1 << 20)),
                ErrorCode.VERSION_MISMATCH, "version 7", "version 1");
    }

    @Test
    void aSecondHelloIsADuplicateHandshake() {
        bulkDestination();
        refused(Frames.encoded(Frames.bulkHello()::encode), ErrorCode.DUPLICATE_HANDSHAKE, "second HELLO");
    }

    @Test
    void pagesBeforeHelloAreUnexpected() {
        destination();
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(0, 0, 1, 1)), ErrorCode.UNEXPECTED_FRAME, "PAGES before HELLO");
        assertThat(side.sink.pagesInstalled).isZero();
    }

    @Test
    void anythingButHelloAckOrErrorFirstOnTheSourceIsUnexpected() {
        side = Wiretap.decoding(SOURCE);
        refused(Frames.encoded(new Ready(1)::encode), ErrorCode.UNEXPECTED_FRAME, "READY before HELLO_ACK");
    }

    @Test
    void aHelloWithAnUnsupportedPageSizeIsMalformedNamingTheField() {
        destination();
        refused(Frames.raw(FrameType.HELLO, Frames.helloBody(Protocol.MAGIC, 1, 2, 0, GUEST, 8192, 1, 0)),
                ErrorCode.MALFORMED_FRAME, "page_size 8192");
    }

    @Test
    void aHelloWithAnEmptyGuestIsMalformedNamingTheField() {
        destination();
        refused(Frames.raw(FrameType.HELLO, Frames.helloBody(Protocol.MAGIC, 1, 2, 0, 0, 4096, 1, 0)),
                ErrorCode.MALFORMED_FRAME, "guest_pages 0");
    }

    @Test
    void aHelloForABulkChannelBeyondBulkChannelsIsMalformed() {
        destination();
        refused(Frames.raw(FrameType.HELLO, Frames.helloBody(Protocol.MAGIC, 1, 2, 4, GUEST, 4096, 4, 0)),
                ErrorCode.MALFORMED_FRAME, "channel_index 4", "bulk_channels 4");
    }

    @Test
    void aHelloWithCapabilitiesIsMalformedInV1() {
        destination();
        refused(Frames.raw(FrameType.HELLO, Frames.helloBody(Protocol.MAGIC, 1, 1, 0, GUEST, 4096, 1, 0x8000)),
                ErrorCode.MALFORMED_FRAME, "capabilities 0x8000");
    }

    @Test
    void aHelloWithAnUnknownRoleIsMalformed() {
        destination();
        refused(Frames.raw(FrameType.HELLO, Frames.helloBody(Protocol.MAGIC, 1, 9, 0, GUEST, 4096, 1, 0)),
                ErrorCode.MALFORMED_FRAME, "role", "9");
    }

    // --- framing -----------------------------------------------------------------------------------------------

    @Test
    void aLengthAboveTheHandshakeLimitIsRefusedFromItsFourBytesAlone() {
        destination();
        ByteBuf length = track(Frames.alloc().writeInt(Protocol.MAX_HANDSHAKE_FRAME + 1));
        refused(length, ErrorCode.FRAME_TOO_LONG, "frame length 257", "limit of 256", "before the handshake");
    }

    @Test
    void aLengthAboveTheNegotiatedLimitIsRefusedFromItsFourBytesAlone() {
        bulkDestination();
        refused(Frames.alloc().writeInt(-1), ErrorCode.FRAME_TOO_LONG, "frame length 4294967295",
                "limit of " + Protocol.maxFrameLength(4096));
    }

    @Test
    void aLengthShorterThanTheHeaderIsMalformed() {
        destination();
        refused(Frames.alloc().writeInt(3), ErrorCode.MALFORMED_FRAME, "frame length 3");
    }

    @Test
    void anUnknownFrameTypeIsUnexpected() {
        bulkDestination();
        refused(Frames.raw(0x7f, 0, b -> {}), ErrorCode.UNEXPECTED_FRAME, "unknown frame type 0x7f");
    }

    @Test
    void nonZeroHeaderFlagsAreMalformed() {
        bulkDestination();
        refused(Frames.raw(FrameType.PAGES.code(), 0x01, Frames.zeroRuns(0, 0, 1, 1)), ErrorCode.MALFORMED_FRAME,
                "PAGES header flags 0x01");
        assertThat(side.sink.pagesInstalled).isZero();
    }

    @Test
    void aNonZeroReservedHeaderFieldIsMalformed() {
        bulkDestination();
        ByteBuf frame = Frames.encoded(new RoundEnd(0, 0, false)::encode);
        frame.setShort(6, 0x0100);
        refused(frame, ErrorCode.MALFORMED_FRAME, "ROUND_END header reserved 0x0100");
    }

    @Test
    void aFrameTheReceivingSideSendsItselfIsUnexpected() {
        controlDestination();
        refused(Frames.encoded(new Ready(5)::encode), ErrorCode.UNEXPECTED_FRAME, "READY is sent by the destination");
    }

    @Test
    void aControlFrameOnABulkConnectionIsUnexpected() {
        bulkDestination();
        refused(Frames.encoded(new Complete(3)::encode), ErrorCode.UNEXPECTED_FRAME, "COMPLETE on a BULK connection");
    }

    @Test
    void aFrameCutShortByTheConnectionClosingIsDroppedWithoutErrorOrLeak() {
        bulkDestination();
        ByteBuf whole = Frames.raw(FrameType.PAGES, Frames.zeroRuns(0, 0, 8, 1, 600, 4, 1));
        ByteBuf half = track(whole.readRetainedSlice(whole.readableBytes() / 2));
        whole.release();
        side.feed(half);
        assertThat(side.channel.finish()).as("no frame emitted, nothing written").isFalse();
        assertThat(side.errors).isEmpty();
        assertThat(side.sink.pagesInstalled).isZero();
        assertThat(side.sink.decoded).hasSize(1);                    // the HELLO only
        assertThat(half.refCnt()).isZero();
        assertThat(whole.refCnt()).isZero();
    }

    // --- PAGES -------------------------------------------------------------------------------------------------

    @Test
    void aPageBeyondTheGuestIsOutOfRangeAndNothingOfTheFrameIsInstalled() {
        bulkDestination();
        ByteBuf frame = Frames.raw(FrameType.PAGES, Frames.zeroRuns(1,
                0, 4, 1, 100, 4, 1, 2048, 4, 1, GUEST - 6, 8, 1));
        refused(frame, ErrorCode.PAGE_OUT_OF_RANGE, "PAGES run 3: pages [1048570, 1048578) beyond the guest's 1048576 pages");
        assertThat(side.sink.pagesInstalled).as("pages installed from a refused frame").isZero();
    }

    @Test
    void aRunWhoseEndOverflowsTwoToTheSixtyFourIsOutOfRange() {
        bulkDestination();
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(1, -2L, 4, 1)), ErrorCode.PAGE_OUT_OF_RANGE,
                "PAGES run 0: pages [18446744073709551614, 18446744073709551618)");
    }

    @Test
    void aLengthTooShortForItsRunsIsMalformed() {
        bulkDestination();
        // One data run of 2 pages, but only one page of data follows.
        ByteBuf frame = Frames.raw(FrameType.PAGES, b -> {
            b.writeInt(0).writeShort(1).writeShort(0);
            b.writeLong(10).writeInt(2).writeInt(0);
            b.writeZero(Frames.PAGE);
        });
        refused(frame, ErrorCode.MALFORMED_FRAME, "PAGES run 0", "need 8192 data bytes, only 4096 remain",
                "too short for its runs");
    }

    @Test
    void aLengthTooShortForItsRunHeadersIsMalformed() {
        bulkDestination();
        ByteBuf frame = Frames.raw(FrameType.PAGES, b -> {
            b.writeInt(0).writeShort(2).writeShort(0);
            b.writeLong(10).writeInt(2).writeInt(1);
        });
        refused(frame, ErrorCode.MALFORMED_FRAME, "PAGES run 1", "too short for 2 runs");
    }

    @Test
    void bytesLeftOverAfterTheRunsAreMalformed() {
        bulkDestination();
        ByteBuf frame = Frames.raw(FrameType.PAGES, b -> {
            Frames.zeroRuns(0, 10, 2, 1).accept(b);
            b.writeZero(10);
        });
        refused(frame, ErrorCode.MALFORMED_FRAME, "10 bytes left over after its 1 runs");
    }

    @Test
    void aRunCountOfZeroIsMalformed() {
        bulkDestination();
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(0)), ErrorCode.MALFORMED_FRAME, "run_count 0 outside 1..64");
    }

    @Test
    void aRunOfZeroPagesIsMalformed() {
        bulkDestination();
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(0, 10, 1, 1, 20, 0, 1)), ErrorCode.MALFORMED_FRAME,
                "PAGES run 1: page_count 0 outside 1..256");
    }

    @Test
    void moreThanTwoHundredFiftySixPagesInAFrameAreMalformed() {
        bulkDestination();
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(0, 0, 200, 1, 1024, 57, 1)), ErrorCode.MALFORMED_FRAME,
                "PAGES run 1 brings the frame to 257 pages, more than 256");
    }

    @Test
    void anUnknownRunFlagIsMalformed() {
        bulkDestination();
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(0, 0, 1, 3)), ErrorCode.MALFORMED_FRAME,
                "PAGES run 0: unknown run flags 0x00000003");
    }

    @Test
    void aRunCrossingAStripeBoundaryIsMalformed() {
        bulkDestination();
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(0, 510, 4, 1)), ErrorCode.MALFORMED_FRAME,
                "pages [510, 514) cross the stripe boundary at pfn 512");
    }

    @Test
    void aRunOnAnotherChannelsStripeIsUnexpected() {
        destination().handshake(Frames.hello(ChannelRole.BULK, 2, 4));
        refused(Frames.raw(FrameType.PAGES, Frames.zeroRuns(0, 1024, 4, 1, 600, 4, 1)), ErrorCode.UNEXPECTED_FRAME,
                "PAGES run 1: pfn 600 belongs on bulk channel 1 of 4, it arrived on channel 2");
        assertThat(side.sink.pagesInstalled).isZero();
    }

    // --- control frames ----------------------------------------------------------------------------------------

    @Test
    void aVcpuContextWhoseSizeDisagreesWithTheBodyIsMalformed() {
        controlDestination();
        refused(Frames.raw(FrameType.VCPU_CONTEXT, b -> b.writeInt(100).writeZero(96)), ErrorCode.MALFORMED_FRAME,
                "VCPU_CONTEXT size 100 disagrees with the 96 bytes that follow it");
    }

    @Test
    void aVerifyRequestBeyondTheGuestIsOutOfRange() {
        controlDestination();
        refused(Frames.raw(FrameType.VERIFY_REQUEST, b -> b.writeLong(GUEST - 1).writeInt(2)),
                ErrorCode.PAGE_OUT_OF_RANGE, "VERIFY_REQUEST: pages [1048575, 1048577) beyond the guest's 1048576 pages");
    }

    @Test
    void aVerifyRequestForTooManyPagesIsMalformed() {
        controlDestination();
        refused(Frames.raw(FrameType.VERIFY_REQUEST, b -> b.writeLong(0).writeInt(16385)),
                ErrorCode.MALFORMED_FRAME, "VERIFY_REQUEST count 16385 outside 1..16384");
    }

    @Test
    void anAbortWhoseMessageIsNotUtf8IsMalformed() {
        controlDestination();
        refused(Frames.raw(FrameType.ABORT, b -> b.writeShort(2).writeByte(0xC3).writeByte(0x28)),
                ErrorCode.MALFORMED_FRAME, "ABORT message is not valid UTF-8");
    }

    @Test
    void aRoundEndWithAFinalFlagOtherThanZeroOrOneIsMalformed() {
        bulkDestination();
        refused(Frames.raw(FrameType.ROUND_END, b -> b.writeInt(1).writeLong(5).writeByte(2).writeMedium(0)),
                ErrorCode.MALFORMED_FRAME, "ROUND_END final 2");
    }

    // --- the error handler -------------------------------------------------------------------------------------

    @Test
    void anyOtherExceptionIsAnsweredWithInternalAndAClose() {
        List<ProtocolException> seen = new ArrayList<>();
        EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(DESTINATION), new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ((Frame) msg).release();
                throw new IllegalStateException("receiver bug");
            }
        }, new ProtocolErrorHandler((c, e) -> seen.add(e)));
        ByteBuf hello = track(Frames.encoded(Frames.bulkHello()::encode));
        ch.writeInbound(hello);
        assertThat(seen).singleElement().satisfies(e -> {
            assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL);
            assertThat(e.getMessage()).contains("IllegalStateException: receiver bug");
            assertThat(e.getCause()).isInstanceOf(IllegalStateException.class);
        });
        ByteBuf out = ch.readOutbound();
        assertThat(ErrorFrame.decode(out.slice(8, out.readableBytes() - 8)).code()).isEqualTo(ErrorCode.INTERNAL);
        out.release();
        assertThat(ch.isOpen()).isFalse();
        ch.finishAndReleaseAll();
    }

    @Test
    void bytesAfterARefusedFrameAreDiscardedNotDecoded() {
        bulkDestination();
        ByteBuf input = Frames.alloc();
        input.writeInt(3);                                           // malformed length
        ByteBuf good = Frames.encoded(new RoundEnd(1, 1, false)::encode);
        input.writeBytes(good);
        good.release();
        refused(input, ErrorCode.MALFORMED_FRAME, "frame length 3");
        assertThat(side.sink.decoded).hasSize(1);                    // the HELLO only
    }
}
