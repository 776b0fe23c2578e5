package io.xmig.dataplane.pagepath;

import io.xmig.dataplane.hypervisor.PageBitmap;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

/**
 * Turns a dirty bitmap (or the whole guest, for round 0) into runs of contiguous pages and hands them, in batches, to
 * the ring of the channel that owns each run's stripe. Runs are cut at stripe boundaries and at
 * {@link PageRuns#MAX_RUN_PAGES}. When a ring is full the scanner waits with its idle strategy (the senders drain
 * it); a sender that died is noticed through {@code failed}.
 *
 * <p>Owned by the migration session's thread. Allocates nothing per page or per run: one staging buffer per channel,
 * made at construction.
 */
public final class DirtyScanner {
    private final RingBuffer[] rings;
    private final UnsafeBuffer[] staging;
    private final int[] staged;
    private final UnsafeBuffer roundEnd = new UnsafeBuffer(ByteBuffer.allocateDirect(PageRuns.ROUND_END_BYTES));
    private final IdleStrategy idle;
    private final BooleanSupplier failed;
    private long runsOffered;

    public DirtyScanner(RingBuffer[] rings, IdleStrategy idle, BooleanSupplier failed) {
        this.rings = rings.clone();
        this.idle = idle;
        this.failed = failed;
        this.staging = new UnsafeBuffer[rings.length];
        this.staged = new int[rings.length];
        for (int i = 0; i < rings.length; i++) {
            staging[i] = new UnsafeBuffer(ByteBuffer.allocateDirect(PageRuns.MAX_RUNS_PER_MESSAGE * PageRuns.RUN_BYTES));
        }
    }

    /** Offers every page of a guest of {@code pages} pages; returns pages offered. */
    public long scanAll(long pages) {
        for (long p = 0; p < pages; ) {
            long end = Math.min(pages, p + PageRuns.MAX_RUN_PAGES);
            end = Math.min(end, (p / PageRuns.STRIPE_PAGES + 1) * PageRuns.STRIPE_PAGES);
            stage(p, (int) (end - p));
            p = end;
        }
        flushAll();
        return pages;
    }

    /** Offers every page set in {@code dirty}; returns pages offered. */
    public long scan(PageBitmap dirty) {
        long offered = 0;
        for (long p = dirty.nextSetBit(0); p >= 0; ) {
            long runEnd = dirty.nextClearBit(p);
            while (p < runEnd) {
                long end = Math.min(runEnd, p + PageRuns.MAX_RUN_PAGES);
                end = Math.min(end, (p / PageRuns.STRIPE_PAGES + 1) * PageRuns.STRIPE_PAGES);
                stage(p, (int) (end - p));
                offered += end - p;
                p = end;
            }
            p = dirty.nextSetBit(runEnd);
        }
        flushAll();
        return offered;
    }

    /** Puts the round's end marker behind its runs on every ring. */
    public void endRound(int round, boolean finalRound) {
        flushAll();
        roundEnd.putInt(0, round);
        roundEnd.putInt(4, finalRound ? 1 : 0);
        for (RingBuffer ring : rings) offer(ring, PageRuns.MSG_ROUND_END, roundEnd, PageRuns.ROUND_END_BYTES);
    }

    /** Runs handed to the rings so far. */
    public long runsOffered() {
        return runsOffered;
    }

    private void stage(long firstPfn, int pages) {
        int ch = PageRuns.channelOf(firstPfn, rings.length);
        UnsafeBuffer b = staging[ch];
        int off = staged[ch] * PageRuns.RUN_BYTES;
        b.putLong(off, firstPfn);
        b.putInt(off + 8, pages);
        b.putInt(off + 12, 0);
        runsOffered++;
        if (++staged[ch] == PageRuns.MAX_RUNS_PER_MESSAGE) flush(ch);
    }

    private void flushAll() {
        for (int ch = 0; ch < rings.length; ch++) flush(ch);
    }

    private void flush(int ch) {
        if (staged[ch] == 0) return;
        offer(rings[ch], PageRuns.MSG_RUNS, staging[ch], staged[ch] * PageRuns.RUN_BYTES);
        staged[ch] = 0;
    }

    private void offer(RingBuffer ring, int type, UnsafeBuffer src, int length) {
        idle.reset();
        while (!ring.write(type, src, 0, length)) {
            if (failed.getAsBoolean()) throw new PagePathException("a sender stopped while the scanner was waiting for ring space");
            idle.idle();
        }
    }
}
