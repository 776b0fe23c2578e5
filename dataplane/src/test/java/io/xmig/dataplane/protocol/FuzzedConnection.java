package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Feeds fuzzer bytes to one side of a connection ({@link Wiretap#decoding}: {@code FrameDecoder → DecodingSink →
 * ProtocolErrorHandler}, as every xmig pipeline) and checks the outcome the protocol promises: decoded frames, or
 * exactly one {@link ProtocolException} other than INTERNAL answered with an ERROR frame and a close; a clean
 * connection that then closes mid-frame reports nothing; every buffer released; within {@link FuzzBudget}.
 *
 * <p>Input layout: byte 0 picks the valid handshake the stream starts after (none, so the fuzzer attacks the
 * handshake itself, or a HELLO of each role on the destination / a HELLO_ACK on the source), byte 1 seeds how the
 * rest is cut into reads (TCP may deliver any split), the rest is the stream. Used by the fuzzing thread only.
 */
final class FuzzedConnection {
    private final FrameDecoder.Side side;
    private final FuzzBudget budget = new FuzzBudget(FuzzBudget.CONNECTION_SLACK);
    long inputs;
    long refused;

    FuzzedConnection(FrameDecoder.Side side) {
        this.side = side;
    }

    void feed(byte[] data) {
        if (data.length < 2) return;
        inputs++;
        ByteBuf input = Unpooled.buffer(data.length + 64);
        prelude(data[0] & 0xFF, input);
        input.writeBytes(data, 2, data.length - 2);
        int total = input.readableBytes();
        Wiretap tap = Wiretap.decoding(side);             // the pipeline's own cost is not the input's
        // exact allocations: a pooled allocator growing its pool by a chunk now and then is not the decoder's cost
        tap.channel.config().setAllocator(UnpooledByteBufAllocator.DEFAULT);
        try {
            budget.start();
            long split = data[1] & 0xFF;
            while (input.isReadable()) {
                split = split * 6364136223846793005L + 1442695040888963407L;     // LCG: a fixed cut per input
                int len = 1 + (int) Long.remainderUnsigned(split >>> 33, input.readableBytes());
                tap.feed(input.readRetainedSlice(len));
            }
            tap.channel.checkException();
            budget.check(total, FuzzBudget.PER_FRAME_SLACK * tap.sink.decoded.size(), side + " stream");
            assertThat(tap.errors).hasSizeLessThanOrEqualTo(1);
            if (tap.errors.isEmpty()) {
                assertThat(tap.channel.isOpen()).isTrue();
                tap.channel.close();                  // the peer goes away, perhaps mid-frame
                tap.channel.checkException();
                assertThat(tap.errors).as("a frame cut by the close is dropped silently").isEmpty();
            } else {
                refused++;
                ProtocolException e = tap.errors.getFirst();
                assertThat(e.code()).as("%s", e).isNotEqualTo(ErrorCode.INTERNAL);
                assertThat(tap.channel.isOpen()).isFalse();
                assertThat(tap.errorSent().code()).isEqualTo(e.code());
            }
        } finally {
            tap.close();
            input.release();
        }
        assertThat(input.refCnt()).isZero();
    }

    private void prelude(int choice, ByteBuf out) {
        if (side == FrameDecoder.Side.SOURCE) {
            if (choice % 2 == 1) new HelloAck(Protocol.VERSION, Protocol.maxFrameLength(Protocol.PAGE_SIZE)).encode(out);
            return;
        }
        switch (choice % 4) {
            case 1 -> Frames.hello(ChannelRole.CONTROL, 0, 4).encode(out);
            case 2 -> Frames.hello(ChannelRole.BULK, choice % 3, 3).encode(out);
            case 3 -> Frames.hello(ChannelRole.FAULT, 0, 4).encode(out);
            default -> { }
        }
    }

    /** After a fuzz run: prints what it did, fails on a leaked buffer or on fewer inputs than -Dxmig.fuzz.minInputs. */
    void report() {
        System.out.println(summary());
        LeakWatch.assertNoLeaks();
        assertThat(inputs).isGreaterThanOrEqualTo(Long.getLong("xmig.fuzz.minInputs", 0));
    }

    String summary() {
        return side + " stream: " + inputs + " inputs, " + refused + " refused with a protocol error, "
                + (inputs - refused) + " decoded cleanly";
    }
}
