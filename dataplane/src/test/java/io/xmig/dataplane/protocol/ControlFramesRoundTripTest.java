package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every control frame, encoded by its record, split by a {@link FrameDecoder} of the side that receives it and
 * decoded again, equals what was sent; the bytes on the wire match docs/PROTOCOL.md's layout.
 */
class ControlFramesRoundTripTest {
    @AfterAll
    static void noLeaks() {
        LeakWatch.assertNoLeaks();
    }

    /** Sends {@code frame} through a decoder of the receiving side after its handshake; returns the decoded record. */
    private static <R> R roundTrip(Wiretap receiver, Consumer<ByteBuf> encode, FrameType type, Function<ByteBuf, R> decode) {
        try (receiver) {
            ByteBuf wire = Frames.encoded(encode);
            assertThat(wire.getUnsignedInt(0)).as("length field").isEqualTo(wire.readableBytes() - 4L);
            Frame f = receiver.roundTrip(wire);
            try {
                assertThat(f.type()).isEqualTo(type);
                R decoded = decode.apply(f.body());
                assertThat(f.body().readerIndex()).as("decode leaves the body's indices alone").isZero();
                return decoded;
            } finally {
                assertThat(f.release()).isTrue();
                assertThat(wire.refCnt()).isZero();
            }
        }
    }

    private static Wiretap controlDestination() {
        return Wiretap.destination().handshake(Frames.controlHello());
    }

    private static Wiretap controlSource() {
        return Wiretap.source().handshake(HelloAck.accepting(Frames.controlHello()));
    }

    @Test
    void helloArrivesAsTheFirstFrameAndTheDecoderKeepsIt() {
        Hello hello = Frames.hello(ChannelRole.BULK, 3, 4);
        try (Wiretap dst = Wiretap.destination()) {
            ByteBuf wire = Frames.encoded(hello::encode);
            assertThat(wire.readableBytes()).isEqualTo(Protocol.HEADER_BYTES + Hello.BODY_BYTES);
            assertThat(wire.getInt(8)).isEqualTo(0x584D4947);
            Frame f = dst.roundTrip(wire);
            assertThat(f.type()).isEqualTo(FrameType.HELLO);
            assertThat(Hello.decode(f.body())).isEqualTo(hello);
            f.release();
            assertThat(dst.decoder.hello()).isEqualTo(hello);
            assertThat(dst.decoder.handshakeComplete()).isTrue();
            assertThat(dst.decoder.maxFrameLength()).isEqualTo(Protocol.maxFrameLength(4096)).isEqualTo(1_049_612);
        }
    }

    @Test
    void everyChannelRoleRoundTrips() {
        for (ChannelRole role : ChannelRole.values()) {
            Hello hello = new Hello(role, 0, UUID.randomUUID(), Protocol.MAX_GUEST_PAGES, 4096, 64, 0);
            assertThat(roundTrip(Wiretap.destination(), hello::encode, FrameType.HELLO, Hello::decode)).isEqualTo(hello);
        }
    }

    @Test
    void helloAckArrivesFirstOnTheSourceAndRaisesItsLimit() {
        HelloAck ack = HelloAck.accepting(Frames.bulkHello());
        try (Wiretap src = Wiretap.source()) {
            Frame f = src.roundTrip(Frames.encoded(ack::encode));
            assertThat(HelloAck.decode(f.body())).isEqualTo(ack).isEqualTo(new HelloAck(1, 1_049_612));
            f.release();
            assertThat(src.decoder.helloAck()).isEqualTo(ack);
            assertThat(src.decoder.maxFrameLength()).isEqualTo(1_049_612);
        }
    }

    @Test
    void roundEndRoundTripsOnABulkConnection() {
        for (RoundEnd r : new RoundEnd[] {new RoundEnd(0, 0, false), new RoundEnd(7, 262_144, true),
                new RoundEnd(Integer.MAX_VALUE, Long.MAX_VALUE, false)}) {
            assertThat(roundTrip(Wiretap.destination().handshake(Frames.bulkHello()), r::encode, FrameType.ROUND_END,
                    RoundEnd::decode)).isEqualTo(r);
        }
    }

    @Test
    void vcpuContextRoundTripsUpToOneMebibyte() {
        Random random = new Random(1);
        for (int size : new int[] {0, 1, 4096, Protocol.MAX_CONTEXT_BYTES}) {
            byte[] ctx = new byte[size];
            random.nextBytes(ctx);
            VcpuContext v = new VcpuContext(ctx);
            VcpuContext back = roundTrip(controlDestination(), v::encode, FrameType.VCPU_CONTEXT, VcpuContext::decode);
            assertThat(back).isEqualTo(v);
            assertThat(back.context()).isEqualTo(ctx);
        }
    }

    @Test
    void completeRoundTrips() {
        Complete c = new Complete(12);
        assertThat(roundTrip(controlDestination(), c::encode, FrameType.COMPLETE, Complete::decode)).isEqualTo(c);
    }

    @Test
    void readyRoundTripsToTheSource() {
        Ready r = new Ready(1L << 30);
        assertThat(roundTrip(controlSource(), r::encode, FrameType.READY, Ready::decode)).isEqualTo(r);
    }

    @Test
    void verifyRequestRoundTripsWithinTheGuest() {
        VerifyRequest v = new VerifyRequest(Frames.GUEST_PAGES - Protocol.MAX_VERIFY_PAGES, Protocol.MAX_VERIFY_PAGES);
        VerifyRequest back = roundTrip(controlDestination(), v::encode, FrameType.VERIFY_REQUEST,
                b -> VerifyRequest.decode(b, Frames.GUEST_PAGES));
        assertThat(back).isEqualTo(v);
    }

    @Test
    void verifyHashesRoundTripsToTheSource() {
        long[] hashes = new Random(2).longs(Protocol.MAX_VERIFY_PAGES).toArray();
        VerifyHashes v = new VerifyHashes(4096, hashes);
        VerifyHashes back = roundTrip(controlSource(), v::encode, FrameType.VERIFY_HASHES, VerifyHashes::decode);
        assertThat(back).isEqualTo(v);
        assertThat(back.hashes()).containsExactly(hashes);
    }

    @Test
    void resumeRoundTripsWithAnEmptyBody() {
        Resume r = new Resume();
        ByteBuf wire = Frames.encoded(r::encode);
        assertThat(wire.readableBytes()).isEqualTo(Protocol.HEADER_BYTES);
        wire.release();
        assertThat(roundTrip(controlDestination(), r::encode, FrameType.RESUME, Resume::decode)).isEqualTo(r);
    }

    @Test
    void resumedRoundTripsToTheSource() {
        Resumed r = new Resumed(123_456_789L);
        assertThat(roundTrip(controlSource(), r::encode, FrameType.RESUMED, Resumed::decode)).isEqualTo(r);
    }

    @Test
    void abortRoundTripsOnAnyConnectionWithItsUtf8Reason() {
        Abort a = new Abort("operator asked: ünïcödé ✓");
        assertThat(roundTrip(controlDestination(), a::encode, FrameType.ABORT, Abort::decode)).isEqualTo(a);
        assertThat(roundTrip(Wiretap.destination().handshake(Frames.bulkHello()), a::encode, FrameType.ABORT,
                Abort::decode)).isEqualTo(a);
        Abort longest = new Abort("x".repeat(Protocol.MAX_MESSAGE_BYTES));
        assertThat(roundTrip(controlDestination(), longest::encode, FrameType.ABORT, Abort::decode)).isEqualTo(longest);
    }

    @Test
    void aReasonLongerThanTheLimitIsCutAtACharacterBoundaryNotRefused() {
        Abort a = new Abort("ß".repeat(600));                          // 1200 UTF-8 bytes
        assertThat(a.reason()).isEqualTo("ß".repeat(512));               // 1024 bytes
        ErrorFrame e = new ErrorFrame(ErrorCode.ABORTED, "€".repeat(400)); // 1200 UTF-8 bytes
        assertThat(e.message()).isEqualTo("€".repeat(341));              // 1023 bytes: the 342nd would not fit
        assertThat(roundTrip(controlDestination(), a::encode, FrameType.ABORT, Abort::decode)).isEqualTo(a);
    }

    @Test
    void errorRoundTripsInBothDirectionsWithEveryCode() {
        for (ErrorCode code : ErrorCode.values()) {
            ErrorFrame e = new ErrorFrame(code, "because " + code);
            assertThat(roundTrip(controlDestination(), e::encode, FrameType.ERROR, ErrorFrame::decode)).isEqualTo(e);
            assertThat(roundTrip(controlSource(), e::encode, FrameType.ERROR, ErrorFrame::decode)).isEqualTo(e);
        }
    }

    @Test
    void errorIsAcceptedByTheSourceInsteadOfHelloAck() {
        ErrorFrame e = new ErrorFrame(ErrorCode.UNKNOWN_SESSION, "no session " + Frames.SESSION);
        assertThat(roundTrip(Wiretap.source(), e::encode, FrameType.ERROR, ErrorFrame::decode)).isEqualTo(e);
    }

    @Test
    void errorFrameFittingTheHandshakeLimitCutsLongMessagesAtACharacterBoundary() {
        ErrorFrame e = ErrorFrame.fitting(ErrorCode.INTERNAL, "é".repeat(500));
        assertThat(Wire.utf8(e.message()).length).isLessThanOrEqualTo(ErrorFrame.MAX_HANDSHAKE_MESSAGE_BYTES);
        assertThat(e.message()).matches("é+");
        ByteBuf wire = Frames.encoded(e::encode);
        assertThat(wire.getUnsignedInt(0)).isLessThanOrEqualTo(Protocol.MAX_HANDSHAKE_FRAME);
        wire.release();
    }

    @Test
    void enumsMapEveryWireCodeBothWays() {
        for (FrameType t : FrameType.values()) assertThat(FrameType.of(t.code())).isSameAs(t);
        for (ErrorCode c : ErrorCode.values()) assertThat(ErrorCode.of(c.code())).isSameAs(c);
        for (ChannelRole r : ChannelRole.values()) assertThat(ChannelRole.of(r.code())).isSameAs(r);
        assertThat(FrameType.PAGES.code()).isEqualTo(0x10);
        assertThat(ErrorCode.FRAME_TOO_LONG.code()).isEqualTo(12);
        assertThatThrownBy(() -> FrameType.of(0x7f)).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.UNEXPECTED_FRAME));
        assertThatThrownBy(() -> ErrorCode.of(0)).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        assertThatThrownBy(() -> ChannelRole.of(4)).isInstanceOfSatisfying(ProtocolException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    @Test
    void maxFrameLengthFitsAFullPagesFrameAndTheLargestContext() {
        int max = Protocol.maxFrameLength(4096);
        assertThat(max).isEqualTo(4 + 8 + 64 * 16 + 256 * 4096);
        assertThat(max).isGreaterThanOrEqualTo(4 + 4 + Protocol.MAX_CONTEXT_BYTES);
        assertThat(max).isGreaterThanOrEqualTo(4 + VerifyHashes.FIXED_BYTES + 8 * Protocol.MAX_VERIFY_PAGES);
        assertThat(Protocol.maxFrameLength(512)).as("small pages: the context decides").isEqualTo(4 + 4 + Protocol.MAX_CONTEXT_BYTES);
    }
}
