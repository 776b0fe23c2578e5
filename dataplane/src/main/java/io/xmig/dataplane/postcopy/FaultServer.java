package io.xmig.dataplane.postcopy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.pagepath.PageRuns;
import io.xmig.dataplane.pagepath.ZeroPages;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.ErrorFrame;
import io.xmig.dataplane.protocol.FaultRequest;
import io.xmig.dataplane.protocol.ProtocolException;
import io.xmig.dataplane.protocol.Frame;
import io.xmig.dataplane.protocol.PagesFrameWriter;
import io.xmig.dataplane.protocol.Protocol;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;

/**
 * The source's answer to post-copy faults, on the priority (FAULT) connection, ahead of the bulk push: each requested
 * page goes back at once in its own PAGES frame, with the next still-missing pages after it (pre-paging). The window
 * adapts as Hines and Gopalan's pivot does: a fault just past the previous window means the guest walks forward, so
 * the window doubles (up to {@link #MAX_WINDOW}); a fault elsewhere halves it (down to 1, the faulting page alone).
 * Pages it sends are cleared from the shared {@code stale} bitmap so that the background push skips them; the push
 * only reads that bitmap, and a page both send is the same bytes (the source is paused), installed once.
 *
 * <p>Runs on the fault channel's event-loop thread (it is the {@link Consumer} given to the transport). Allocates one
 * pooled buffer per answer and nothing per page.
 */
public final class FaultServer implements Consumer<Frame> {
    public static final int MAX_WINDOW = 64;

    private final GuestMemory memory;
    private final PageBitmap stale;
    private final Channel channel;
    private final int round;
    private final long[] pfns = new long[Protocol.MAX_FAULT_PAGES];
    private final PagesFrameWriter writer = new PagesFrameWriter((int) GuestMemory.PAGE_SIZE);
    private int window = 8;
    private long lastFault = -1;
    private volatile long faults, pagesSent, prepagedSent, bytesSent, refused;
    private volatile Throwable failure;

    public FaultServer(GuestMemory memory, PageBitmap stale, Channel channel, int round) {
        this.memory = memory;
        this.stale = stale;
        this.channel = channel;
        this.round = round;
    }

    /**
     * One FAULT_REQUEST. A malformed request, or a page beyond the guest, is answered with an ERROR frame naming it and
     * otherwise ignored: the pages asked for correctly are still served, so one bad request stalls no vCPU.
     */
    @Override
    public void accept(Frame f) {
        try {
            int n = FaultRequest.decodeInto(f.body(), Long.MAX_VALUE, pfns);    // shape only; each page checked below
            for (int i = 0; i < n; i++) {
                if (pfns[i] < 0 || pfns[i] >= memory.pages()) {
                    refused++;
                    refuse(ErrorCode.PAGE_OUT_OF_RANGE, "FAULT_REQUEST for page " + Long.toUnsignedString(pfns[i])
                            + " beyond the guest's " + memory.pages() + " pages");
                    continue;
                }
                answer(pfns[i]);
            }
        } catch (ProtocolException e) {
            refused++;
            refuse(e.code(), e.getMessage());
        } catch (RuntimeException e) {
            failure = e;
            channel.close();
        } finally {
            f.release();
            channel.flush();
        }
    }

    private void refuse(ErrorCode code, String message) {
        ByteBuf out = channel.alloc().buffer(64 + message.length() * 3);
        new ErrorFrame(code, message).encode(out);
        channel.write(out, channel.voidPromise());
    }

    private void answer(long pfn) {
        faults++;
        adapt(pfn);
        long stripeEnd = (pfn / PageRuns.STRIPE_PAGES + 1) * PageRuns.STRIPE_PAGES;
        long end = pfn + 1;
        while (end < Math.min(stripeEnd, Math.min(memory.pages(), pfn + window)) && stale.get(end)) end++;
        int count = (int) (end - pfn);
        ByteBuf out = channel.alloc().directBuffer(Protocol.HEADER_BYTES + Protocol.PAGES_FIXED_BYTES
                + count * (Protocol.RUN_HEADER_BYTES + (int) GuestMemory.PAGE_SIZE));
        try (PageMapping m = memory.mapRun(pfn, count, false)) {
            writer.begin(out, round);
            MemorySegment run = m.segment();
            int i = 0;
            while (i < count) {
                boolean zero = ZeroPages.isZero(run, i);
                int j = i + 1;
                while (j < count && ZeroPages.isZero(run, j) == zero) j++;
                if (zero) writer.addZeroRun(pfn + i, j - i);
                else writer.addDataRun(pfn + i, j - i, run.asSlice(i * GuestMemory.PAGE_SIZE, (j - i) * GuestMemory.PAGE_SIZE));
                i = j;
            }
            writer.finish();
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        for (long p = pfn; p < end; p++) if (stale.get(p)) stale.clear(p);
        bytesSent += out.readableBytes();
        pagesSent += count;
        prepagedSent += count - 1;
        channel.write(out, channel.voidPromise());
    }

    private void adapt(long pfn) {
        if (lastFault >= 0 && pfn > lastFault && pfn - lastFault <= 2L * window) window = Math.min(MAX_WINDOW, window * 2);
        else if (lastFault >= 0) window = Math.max(1, window / 2);
        lastFault = pfn;
    }

    public long faults() { return faults; }
    public long pagesSent() { return pagesSent; }
    public long prepagedSent() { return prepagedSent; }
    public long bytesSent() { return bytesSent; }
    public Throwable failure() { return failure; }
    /** Requests (or pages in them) refused as malformed. */
    public long refused() { return refused; }
}
