package io.xmig.dataplane.protocol;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.util.ArrayList;
import java.util.List;

/**
 * A receiver as the session code will write one: decodes every {@link Frame} with the record or reader for its
 * type, "installs" PAGES runs (counts them and touches their data), and releases the frame on every path. Records
 * what it decoded, so tests can see that nothing of a refused frame was installed.
 */
final class DecodingSink extends ChannelInboundHandlerAdapter {
    private final FrameDecoder decoder;
    private PagesFrameReader reader;
    private PagesInflater inflater;
    final List<Object> decoded = new ArrayList<>();
    long pagesInstalled;
    long checksum;

    DecodingSink(FrameDecoder decoder) {
        this.decoder = decoder;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Frame frame = (Frame) msg;
        try {
            var body = frame.body();
            decoded.add(switch (frame.type()) {
                case HELLO -> Hello.decode(body);
                case HELLO_ACK -> HelloAck.decode(body);
                case PAGES -> install(body);
                case PAGES_LZ4 -> {
                    if (inflater == null) inflater = new PagesInflater(ctx.alloc(), decoder.hello().pageSize());
                    yield install(inflater.inflate(body));
                }
                case ROUND_END -> RoundEnd.decode(body);
                case VCPU_CONTEXT -> VcpuContext.decode(body);
                case COMPLETE -> Complete.decode(body);
                case READY -> Ready.decode(body);
                case VERIFY_REQUEST -> VerifyRequest.decode(body, decoder.hello().guestPages());
                case VERIFY_HASHES -> VerifyHashes.decode(body);
                case RESUME -> Resume.decode(body);
                case RESUMED -> Resumed.decode(body);
                case ABORT -> Abort.decode(body);
                case ERROR -> ErrorFrame.decode(body);
                case POSTCOPY_DISCARD, WRITTEN_PAGES, RECOVER_MISSING -> BitmapChunk.decode(frame.type(), body, guestPages());
                case RECOVER_READY -> RecoverReady.decode(body);
                case POSTCOPY_START -> PostcopyStart.decode(body, guestPages());
                case POSTCOPY_RUNNING -> PostcopyRunning.decode(body);
                case FAULT_REQUEST -> {
                    long[] pfns = new long[Protocol.MAX_FAULT_PAGES];
                    int n = FaultRequest.decodeInto(body, guestPages(), pfns);
                    yield java.util.Arrays.copyOf(pfns, n);
                }
                case POSTCOPY_DONE -> PostcopyDone.decode(body);
                case POSTCOPY_COMPLETE -> PostcopyComplete.decode(body);
            });
        } finally {
            frame.release();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (inflater != null) inflater.close();
    }

    /** The negotiated guest size on a destination; on a source (no HELLO seen) the largest v1 allows. */
    private long guestPages() {
        return decoder.hello() != null ? decoder.hello().guestPages() : Protocol.MAX_GUEST_PAGES;
    }

    private Object install(io.netty.buffer.ByteBuf body) {
        Hello hello = decoder.hello();
        if (reader == null) {
            reader = new PagesFrameReader(hello.guestPages(), hello.pageSize());
            if (hello.role() == ChannelRole.BULK) reader.expectChannel(hello.channelIndex(), hello.bulkChannels());
        }
        reader.wrap(body);
        while (reader.nextRun()) {
            pagesInstalled += reader.pages();
            if (!reader.zero()) checksum += reader.data().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0);
        }
        return "PAGES round " + reader.round();
    }
}
