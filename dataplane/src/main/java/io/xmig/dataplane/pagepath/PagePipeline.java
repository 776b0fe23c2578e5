package io.xmig.dataplane.pagepath;

import io.netty.channel.Channel;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageBitmap;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The source's page path: a {@link DirtyScanner} on the caller's thread feeding one Agrona ring per bulk channel, and
 * one {@link SenderAgent} per ring on its own thread. The session calls {@link #sendAll}/{@link #sendDirty} and then
 * {@link #awaitRound} for each round.
 *
 * <p>Owns the rings, the agents and their threads ({@link #close()} stops them); the channels belong to the caller.
 */
public final class PagePipeline implements AutoCloseable {
    private static final int RING_BYTES = 256 * 1024;

    private final List<SenderAgent> senders = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final DirtyScanner scanner;
    private final long guestPages;

    public PagePipeline(GuestMemory memory, List<Channel> bulkChannels, TokenBucket bucket) {
        this(memory, bulkChannels, bucket, Compression.OFF);
    }

    /** With {@code compression}: whether the senders turn PAGES frames into PAGES_LZ4 ({@link FrameCompressor}). */
    public PagePipeline(GuestMemory memory, List<Channel> bulkChannels, TokenBucket bucket, Compression compression) {
        this.guestPages = memory.pages();
        RingBuffer[] rings = new RingBuffer[bulkChannels.size()];
        for (int i = 0; i < rings.length; i++) {
            rings[i] = new OneToOneRingBuffer(new UnsafeBuffer(
                    ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
            SenderAgent agent = new SenderAgent(i, rings[i], bulkChannels.get(i), memory, bucket, compression);
            senders.add(agent);
            AgentRunner runner = new AgentRunner(new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1),
                    TimeUnit.MICROSECONDS.toNanos(200)), t -> { }, null, agent);
            runners.add(runner);
            AgentRunner.startOnThread(runner);
        }
        this.scanner = new DirtyScanner(rings, new BackoffIdleStrategy(10, 10, 1_000, 200_000), this::anySenderFailed);
    }

    /** Round 0: every page of the guest. Returns the pages offered. */
    public long sendAll(int round) {
        long n = scanner.scanAll(guestPages);
        scanner.endRound(round, false);
        return n;
    }

    /** A later round: the pages set in {@code dirty}. Returns the pages offered. */
    public long sendDirty(PageBitmap dirty, int round, boolean finalRound) {
        long n = scanner.scan(dirty);
        scanner.endRound(round, finalRound);
        return n;
    }

    /**
     * The post-copy push: every page set in {@code needed}, in the scanner's order, each sent only if it is still set
     * when its sender reaches it (a fault answer may have sent it first); the senders clear what they send.
     */
    public long push(PageBitmap needed, int round) {
        for (SenderAgent s : senders) s.sendOnly(needed);
        return sendDirty(needed, round, true);
    }

    /**
     * The post-copy push with an order: the pages of {@code first} (a subset of {@code needed}: those the guest is
     * likely to touch soon) go out before the rest of {@code needed}; otherwise as {@link #push(PageBitmap, int)}.
     */
    public long push(PageBitmap needed, PageBitmap first, int round) {
        for (SenderAgent s : senders) s.sendOnly(needed);
        long n = scanner.scan(first);
        n += scanner.scan(needed);
        scanner.endRound(round, true);
        return n;
    }

    /**
     * Until called with nulls: the senders leave out the pages set in {@code skip} (Xen's rule) and those set in
     * {@code defer} (hot pages, recorded in {@code deferredInto}) when their turn comes (see
     * {@link SenderAgent#skipPagesIn}).
     */
    public void skipPagesIn(PageBitmap skip, PageBitmap defer, PageBitmap deferredInto) {
        for (SenderAgent s : senders) s.skipPagesIn(skip, defer, deferredInto);
    }

    /** Pages the senders skipped under {@link #skipPagesIn}, so far. */
    public long pagesSkipped() {
        long n = 0;
        for (SenderAgent s : senders) n += s.pagesSkipped();
        return n;
    }

    /** Pages the senders deferred as hot under {@link #skipPagesIn}, so far. */
    public long pagesDeferred() {
        long n = 0;
        for (SenderAgent s : senders) n += s.pagesDeferred();
        return n;
    }

    /** What compression did so far, over all senders. */
    public CompressionTotals compression() {
        long frames = 0, raw = 0, packed = 0, cpu = 0;
        for (SenderAgent s : senders) {
            FrameCompressor c = s.compressor();
            frames += c.framesCompressed();
            raw += c.rawBytes();
            packed += c.compressedBytes();
            cpu += c.cpuNanos();
        }
        return new CompressionTotals(frames, raw, packed, cpu);
    }

    /**
     * Frames sent compressed, their PAGES bodies' bytes before and after LZ4, and the senders' CPU time compressing.
     */
    public record CompressionTotals(long frames, long rawBytes, long compressedBytes, long cpuNanos) {
        /** Bytes the wire did not carry thanks to compression. */
        public long bytesSaved() {
            return rawBytes - compressedBytes;
        }
    }

    /** Blocks until every sender has put round {@code round}'s ROUND_END on its channel; returns the running totals. */
    public Totals awaitRound(int round, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (SenderAgent s : senders) {
            while (s.roundsCompleted() <= round) {
                if (s.failure() != null) throw new PagePathException("sender " + s.roleName() + " failed: " + s.failure().getMessage(), s.failure());
                if (System.nanoTime() > deadline) throw new PagePathException("round " + round + " not sent within " + timeout);
                Thread.sleep(0, 100_000);
            }
        }
        return totals();
    }

    /** Pages, zero pages, bytes and frames sent so far, over all channels. */
    public Totals totals() {
        long pages = 0, zero = 0, bytes = 0, frames = 0;
        for (SenderAgent s : senders) {
            pages += s.pagesSent();
            zero += s.zeroPages();
            bytes += s.bytesSent();
            frames += s.framesSent();
        }
        return new Totals(pages, zero, bytes, frames);
    }

    private boolean anySenderFailed() {
        for (SenderAgent s : senders) if (s.failure() != null) return true;
        return false;
    }

    @Override
    public void close() {
        for (AgentRunner r : runners) r.close();
    }

    /** Cumulative counts since the pipeline started. */
    public record Totals(long pages, long zeroPages, long bytes, long frames) {
        public Totals minus(Totals earlier) {
            return new Totals(pages - earlier.pages, zeroPages - earlier.zeroPages, bytes - earlier.bytes, frames - earlier.frames);
        }
    }
}
