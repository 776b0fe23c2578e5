package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

import java.util.function.Function;

/**
 * Every decoder of a frame body in protocol v1, each run on the same fuzzer bytes: a body decodes to its record, or
 * the decoder refuses it with a {@link ProtocolException}; any other exception escapes to the fuzzer as a finding.
 * Counts, per decoder, the inputs it was given and how many it refused. The bodies are checked against a guest of
 * {@link #GUEST_PAGES} pages (where the decoder takes one) and, for PAGES, on bulk channel 1 of 3 (so the stripe
 * check is live). Used by the fuzzing thread only.
 */
enum BodyDecoders {
    HELLO(Hello::decode),
    HELLO_ACK(HelloAck::decode),
    PAGES(BodyDecoders::pages),
    ROUND_END(RoundEnd::decode),
    VCPU_CONTEXT(VcpuContext::decode),
    COMPLETE(Complete::decode),
    READY(Ready::decode),
    VERIFY_REQUEST(b -> VerifyRequest.decode(b, BodyDecoders.GUEST_PAGES)),
    VERIFY_HASHES(VerifyHashes::decode),
    RESUME(Resume::decode),
    RESUMED(Resumed::decode),
    ABORT(Abort::decode),
    ERROR(ErrorFrame::decode),
    POSTCOPY_DISCARD(b -> BitmapChunk.decode(FrameType.POSTCOPY_DISCARD, b, BodyDecoders.GUEST_PAGES)),
    POSTCOPY_START(b -> PostcopyStart.decode(b, BodyDecoders.GUEST_PAGES)),
    POSTCOPY_RUNNING(PostcopyRunning::decode),
    FAULT_REQUEST(b -> FaultRequest.decodeInto(b, BodyDecoders.GUEST_PAGES, new long[Protocol.MAX_FAULT_PAGES])),
    POSTCOPY_DONE(PostcopyDone::decode),
    POSTCOPY_COMPLETE(PostcopyComplete::decode),
    WRITTEN_PAGES(b -> BitmapChunk.decode(FrameType.WRITTEN_PAGES, b, BodyDecoders.GUEST_PAGES)),
    RECOVER_MISSING(b -> BitmapChunk.decode(FrameType.RECOVER_MISSING, b, BodyDecoders.GUEST_PAGES)),
    RECOVER_READY(RecoverReady::decode);

    /** 100,000 pages: not a multiple of 64 or of a stripe, so the "past the guest's end" checks are reachable. */
    static final long GUEST_PAGES = 100_000;

    private static final PagesFrameReader READER = new PagesFrameReader(GUEST_PAGES, Protocol.PAGE_SIZE);

    static {
        READER.expectChannel(1, 3);
    }

    private final Function<ByteBuf, Object> decoder;
    long inputs;
    long refused;

    BodyDecoders(Function<ByteBuf, Object> decoder) {
        this.decoder = decoder;
    }

    private static Object pages(ByteBuf body) {
        READER.wrap(body);
        long pages = 0;
        while (READER.nextRun()) {
            pages += READER.pages();
            if (!READER.zero()) READER.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);  // the data is there
        }
        return pages;
    }

    /**
     * Runs every decoder on {@code body} (bytes [1, n) of the input; byte 0 puts the body at a non-zero reader index
     * in a larger buffer when odd, as a slice of a receive buffer is), each within {@link FuzzBudget}.
     */
    static void decodeAll(byte[] input, FuzzBudget budget) {
        if (input.length < 1) return;
        int offset = (input[0] & 1) * 7;
        ByteBuf buffer = Unpooled.buffer(offset + input.length - 1 + 5);
        buffer.writeZero(offset).writeBytes(input, 1, input.length - 1);
        ByteBuf body = buffer.slice(offset, input.length - 1);
        try {
            for (BodyDecoders d : values()) {
                d.inputs++;
                budget.start();
                try {
                    d.decoder.apply(body.duplicate());
                } catch (ProtocolException e) {
                    d.refused++;
                    if (e.code() == ErrorCode.INTERNAL) throw new AssertionError(d + ": INTERNAL for a body", e);
                }
                budget.check(input.length, d.name());
            }
        } finally {
            buffer.release();
        }
    }

    static String summary() {
        StringBuilder s = new StringBuilder("inputs per body decoder (refused):");
        for (BodyDecoders d : values()) s.append(' ').append(d).append('=').append(d.inputs).append(" (").append(d.refused).append(')');
        return s.toString();
    }
}
