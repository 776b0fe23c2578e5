package io.xmig.dataplane.pagepath;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.protocol.PagesFrameWriter;
import io.xmig.dataplane.protocol.Protocol;
import io.xmig.dataplane.protocol.RoundEnd;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentTerminationException;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * One bulk channel's sender: drains its ring of page runs, maps each run from the guest, sends zero pages as a flag
 * and the others as data in PAGES frames built straight into Netty's pooled direct buffers, and closes each round with
 * a ROUND_END frame. Waits for the shared {@link TokenBucket} and for the channel's writability before each frame.
 *
 * <p>Runs on its own thread (an Agrona {@code AgentRunner}); the counters it publishes are written by that thread only
 * and read by the session after {@link #roundsCompleted()} says a round is done. Per page it allocates nothing: one
 * frame writer and one zero page for the agent's life, one pooled buffer per frame.
 */
public final class SenderAgent implements Agent, MessageHandler {
    private static final int MESSAGES_PER_DUTY_CYCLE = 16;

    private final int index;
    private final RingBuffer ring;
    private final Channel channel;
    private final GuestMemory memory;
    private final TokenBucket bucket;
    private final ByteBufAllocator alloc;
    private final PagesFrameWriter writer = new PagesFrameWriter((int) GuestMemory.PAGE_SIZE);
    /**
     * Frame buffers are exactly the largest size Netty's pooled allocator still pools (1 MiB in 4.2): a full 256-page
     * frame is 32 bytes more and would be a fresh, zeroed allocateDirect every time (measured: 51 us against 0.14 us).
     * So a frame carries at most what fits in 1 MiB: 255 data pages, and data runs are split to fit.
     */
    private static final int FRAME_BYTES = 1 << 20;

    private volatile PageBitmap stillNeeded;       // post-copy push: send only pages still set here
    private volatile PageBitmap skipDirtied;       // Xen's rule: dirtied again since the round began, not sent
    private volatile PageBitmap deferHot;          // hot pages: not sent, recorded in deferredInto
    private volatile PageBitmap deferredInto;
    private final FrameCompressor compressor;
    private long lastSentAt;
    private ByteBuf frame;
    private int round;
    private long roundPages;
    private int unflushed;

    private volatile long pagesSent, zeroPages, bytesSent, framesSent, pagesSkipped, pagesDeferred;
    private volatile int roundsCompleted;          // rounds whose ROUND_END went out: the next round is this number
    private volatile Throwable failure;

    public SenderAgent(int index, RingBuffer ring, Channel channel, GuestMemory memory, TokenBucket bucket) {
        this(index, ring, channel, memory, bucket, Compression.OFF);
    }

    public SenderAgent(int index, RingBuffer ring, Channel channel, GuestMemory memory, TokenBucket bucket,
                       Compression compression) {
        this.compressor = new FrameCompressor(compression, channel.alloc(), FRAME_BYTES);
        this.index = index;
        this.ring = ring;
        this.channel = channel;
        this.memory = memory;
        this.bucket = bucket;
        this.alloc = channel.alloc();
    }

    @Override
    public int doWork() {
        try {
            return ring.read(this, MESSAGES_PER_DUTY_CYCLE);
        } catch (RuntimeException e) {
            failure = e;
            releaseFrame();
            throw new AgentTerminationException(e);
        }
    }

    @Override
    public void onMessage(int msgTypeId, MutableDirectBuffer buffer, int offset, int length) {
        if (msgTypeId == PageRuns.MSG_RUNS) {
            for (int at = offset; at < offset + length; at += PageRuns.RUN_BYTES) {
                sendRun(buffer.getLong(at), buffer.getInt(at + 8));
            }
        } else if (msgTypeId == PageRuns.MSG_ROUND_END) {
            endRound(buffer.getInt(offset), buffer.getInt(offset + 4) != 0);
        } else {
            throw new PagePathException("sender " + index + ": unknown ring message " + msgTypeId);
        }
    }

    /**
     * From now on send only the pages still set in {@code bits} when their turn comes, clearing them as they go (the
     * post-copy push, racing with the fault server, which answers faults from the same set). Null: send everything.
     */
    public void sendOnly(PageBitmap bits) {
        this.stillNeeded = bits;
    }

    /**
     * Until called again with nulls, do not send a page when its turn comes if it is set in {@code skip} (Xen's rule:
     * dirtied again since the round began, so the next CLEAN reports it; counted in {@link #pagesSkipped()}) or in
     * {@code defer} (hot: set in {@code deferredInto}, which only this sender writes in the words of its own stripes;
     * counted in {@link #pagesDeferred()}). Other threads may change {@code skip} and {@code defer} meanwhile.
     */
    public void skipPagesIn(PageBitmap skip, PageBitmap defer, PageBitmap deferredInto) {
        this.deferredInto = deferredInto;
        this.deferHot = defer;
        this.skipDirtied = skip;
    }

    private void sendRun(long firstPfn, int pages) {
        PageBitmap needed = stillNeeded;
        PageBitmap skip = skipDirtied;
        if (skip != null && needed == null) {
            sendSkipping(firstPfn, pages, skip, deferHot, deferredInto);
            return;
        }
        if (needed == null) {
            sendPages(firstPfn, pages);
            return;
        }
        for (long p = firstPfn, end = firstPfn + pages; p < end; ) {     // the sub-runs still needed
            if (!needed.get(p)) { p++; continue; }
            long q = p;
            while (q < end && needed.get(q)) needed.clear(q++);
            sendPages(p, (int) (q - p));
            p = q;
        }
    }

    private void sendSkipping(long firstPfn, int pages, PageBitmap skip, PageBitmap defer, PageBitmap deferredInto) {
        long deferred = 0, skipped = 0;                // counted here, published once per run (the counters are volatile)
        for (long p = firstPfn, end = firstPfn + pages; p < end; ) {
            if (defer != null && defer.get(p)) {      // hot first: a hot page is usually also dirtied again
                deferred++;
                deferredInto.set(p);
                p++;
                continue;
            }
            if (skip.get(p)) {
                skipped++;
                p++;
                continue;
            }
            long q = p;
            while (q < end && !skip.get(q) && (defer == null || !defer.get(q))) q++;
            sendPages(p, (int) (q - p));
            p = q;
        }
        if (deferred > 0) pagesDeferred += deferred;
        if (skipped > 0) pagesSkipped += skipped;
    }

    private void sendPages(long firstPfn, int pages) {
        try (PageMapping m = memory.mapRun(firstPfn, pages, false)) {
            MemorySegment run = m.segment();
            int i = 0;
            while (i < pages) {
                boolean zero = ZeroPages.isZero(run, i);
                int j = i + 1;
                while (j < pages && ZeroPages.isZero(run, j) == zero) j++;
                while (i < j) {
                    if (frame == null) beginFrame();
                    int n = zero ? j - i : Math.min(j - i, dataPagesThatFit());
                    if (n == 0 || !writer.fits(1, n)) {
                        sendFrame();
                        beginFrame();
                        n = zero ? j - i : Math.min(j - i, dataPagesThatFit());
                    }
                    long pfn = firstPfn + i;
                    if (zero) {
                        writer.addZeroRun(pfn, n);
                        zeroPages += n;
                    } else {
                        writer.addDataRun(pfn, n, run.asSlice((long) i * GuestMemory.PAGE_SIZE, (long) n * GuestMemory.PAGE_SIZE));
                    }
                    pagesSent += n;
                    roundPages += n;
                    i += n;
                }
            }
        }
    }

    /** Data pages one more run can carry in the current frame's buffer, within the protocol's page limit. */
    private int dataPagesThatFit() {
        long room = FRAME_BYTES - frame.writerIndex() - Protocol.RUN_HEADER_BYTES;
        long pages = room < 0 ? 0 : room / GuestMemory.PAGE_SIZE;
        return (int) Math.min(pages, Protocol.MAX_PAGES_PER_FRAME - writer.pages());
    }

    private void beginFrame() {
        frame = alloc.directBuffer(FRAME_BYTES, FRAME_BYTES);
        writer.begin(frame, round);
    }

    private void sendFrame() {
        if (frame == null || writer.runs() == 0) return;
        writer.finish();
        ByteBuf out = frame;
        frame = null;
        transmit(compressor.maybeCompress(out));
    }

    private void endRound(int endedRound, boolean finalRound) {
        if (endedRound != round) throw new PagePathException("sender " + index + ": round " + endedRound + " ended during round " + round);
        sendFrame();
        releaseFrame();
        ByteBuf out = alloc.directBuffer(32);
        new RoundEnd(endedRound, roundPages, finalRound).encode(out);
        transmit(out);
        channel.flush();
        unflushed = 0;
        lastSentAt = 0;                            // the idle time between rounds is not link time
        roundPages = 0;
        round = endedRound + 1;
        roundsCompleted = round;
    }

    /** Waits for tokens and writability, then writes the frame; flushes every few frames. */
    private void transmit(ByteBuf out) {
        int bytes = out.readableBytes();
        long t0 = System.nanoTime();
        try {
            long wait = bucket.reserve(bytes);                 // FIFO among all senders sharing the cap
            if (wait > 0) {
                long until = System.nanoTime() + wait;
                while ((wait = until - System.nanoTime()) > 0) LockSupport.parkNanos(wait);
            }
            while (!channel.isWritable()) {
                if (!channel.isActive()) throw new PagePathException("bulk channel " + index + " closed by the peer");
                if (unflushed > 0) { channel.flush(); unflushed = 0; }
                LockSupport.parkNanos(20_000);
            }
            if (!channel.isActive()) throw new PagePathException("bulk channel " + index + " closed by the peer");
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        channel.write(out, channel.voidPromise());
        long now = System.nanoTime();
        if (lastSentAt != 0) compressor.waited(bytes, now - t0, now - lastSentAt);
        lastSentAt = now;
        bytesSent += bytes;
        framesSent++;
        if (++unflushed >= 8) {
            channel.flush();
            unflushed = 0;
        }
    }

    private void releaseFrame() {
        if (frame != null) {
            frame.release();
            frame = null;
        }
    }

    @Override
    public void onClose() {
        releaseFrame();
    }

    @Override
    public String roleName() {
        return "xmig-sender-" + index;
    }

    public int roundsCompleted() { return roundsCompleted; }
    public long pagesSent() { return pagesSent; }
    public long zeroPages() { return zeroPages; }
    public long bytesSent() { return bytesSent; }
    public long framesSent() { return framesSent; }
    public Throwable failure() { return failure; }
    public long pagesSkipped() { return pagesSkipped; }
    public long pagesDeferred() { return pagesDeferred; }
    public FrameCompressor compressor() { return compressor; }
}
