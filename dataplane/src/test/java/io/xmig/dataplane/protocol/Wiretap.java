package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One side of a connection under test: an {@link EmbeddedChannel} running {@code FrameDecoder → ProtocolErrorHandler},
 * as every xmig pipeline starts and ends, recording what the error handler reports and what it writes back.
 */
final class Wiretap implements AutoCloseable {
    final FrameDecoder decoder;
    final EmbeddedChannel channel;
    final List<ProtocolException> errors = new ArrayList<>();
    /** Set by {@link #decoding}: the receiver between the decoder and the error handler. */
    DecodingSink sink;

    Wiretap(FrameDecoder.Side side) {
        this(side, false);
    }

    private Wiretap(FrameDecoder.Side side, boolean withSink) {
        decoder = new FrameDecoder(side);
        channel = new EmbeddedChannel(decoder);
        if (withSink) channel.pipeline().addLast(sink = new DecodingSink(decoder));
        channel.pipeline().addLast(new ProtocolErrorHandler((ch, e) -> errors.add(e)));
    }

    /** A side whose frames are consumed by a {@link DecodingSink}, as a real receiver would. */
    static Wiretap decoding(FrameDecoder.Side side) {
        return new Wiretap(side, true);
    }

    static Wiretap destination() {
        return new Wiretap(FrameDecoder.Side.DESTINATION);
    }

    static Wiretap source() {
        return new Wiretap(FrameDecoder.Side.SOURCE);
    }

    /** Feeds bytes unless the channel has closed (a closed EmbeddedChannel refuses input); then releases them. */
    Wiretap feed(ByteBuf bytes) {
        if (channel.isOpen()) channel.writeInbound(bytes);
        else bytes.release();
        return this;
    }

    /** Feeds a frame and takes the Frame it decodes to, asserting it is the only one. */
    Frame roundTrip(ByteBuf bytes) {
        feed(bytes);
        Frame f = channel.readInbound();
        assertThat(f).as("decoded frame").isNotNull();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(errors).isEmpty();
        return f;
    }

    /** Feeds a valid handshake frame for this side and drops the Frame it emits (if no sink consumed it). */
    Wiretap handshake(Hello hello) {
        feed(Frames.encoded(hello::encode));
        dropInbound();
        return this;
    }

    Wiretap handshake(HelloAck ack) {
        feed(Frames.encoded(ack::encode));
        dropInbound();
        return this;
    }

    private void dropInbound() {
        Frame f = channel.readInbound();
        if (f != null) f.release();
        assertThat(errors).isEmpty();
    }

    /** The frames decoded so far (the caller releases them). */
    List<Frame> frames() {
        List<Frame> frames = new ArrayList<>();
        for (Frame f; (f = channel.readInbound()) != null; ) frames.add(f);
        return frames;
    }

    /** The single ERROR frame written back, decoded; the buffer is released. */
    ErrorFrame errorSent() {
        ByteBuf out = channel.readOutbound();
        assertThat(out).as("ERROR frame written back").isNotNull();
        try {
            assertThat(out.readableBytes()).isLessThanOrEqualTo(4 + Protocol.MAX_HANDSHAKE_FRAME);
            assertThat(out.getUnsignedInt(0)).isEqualTo(out.readableBytes() - 4L);
            assertThat(out.getUnsignedByte(4)).isEqualTo((short) FrameType.ERROR.code());
            return ErrorFrame.decode(out.slice(Protocol.HEADER_BYTES, out.readableBytes() - Protocol.HEADER_BYTES));
        } finally {
            out.release();
        }
    }

    /** The one ProtocolException the error handler saw. */
    ProtocolException error() {
        assertThat(errors).hasSize(1);
        return errors.getFirst();
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
    }
}
