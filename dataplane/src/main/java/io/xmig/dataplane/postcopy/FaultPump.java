package io.xmig.dataplane.postcopy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.xmig.dataplane.hypervisor.FaultQueue;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.protocol.FaultRequest;
import io.xmig.dataplane.protocol.Protocol;

import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * The destination's side of post-copy faults: a thread that waits on the domain's fault queue and sends each fault to
 * the source as a FAULT_REQUEST on the priority connection, and the book-keeping of what then arrived: when each
 * requested page was installed (fault round trip), which pages arrived unasked on that connection (pre-paged), how many
 * came from the push. The vCPU blocktime is the sum of the round trips of the pages vCPUs waited for.
 *
 * <p>The pump thread is its own; {@link #installed} is called by the channels' event-loop threads. Per-page state is
 * arrays sized to the guest, made once; the request and install paths allocate nothing per page.
 */
public final class FaultPump implements AutoCloseable {
    private final FaultQueue queue;
    private volatile Channel faultChannel;
    private final long[] requestedAt;            // nanoTime of the first request for a page, 0 if never requested
    private final long[] latencies;              // round trips, in install order
    private final PageBitmap prepaged;
    private final Arena arena = Arena.ofShared();
    private final Thread thread;
    private volatile boolean stopped;
    private boolean closed;
    private int latencyCount;
    private long blocktime, pulled, pushed, requests;
    private volatile Throwable failure;

    public FaultPump(FaultQueue queue, Channel faultChannel, long guestPages) {
        this.queue = queue;
        this.faultChannel = faultChannel;
        this.requestedAt = new long[Math.toIntExact(guestPages)];
        this.latencies = new long[Math.toIntExact(guestPages)];
        this.prepaged = PageBitmap.allocate(arena, guestPages);
        this.thread = Thread.ofPlatform().name("xmig-fault-pump").daemon().unstarted(this::run);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        long[] pfns = new long[Protocol.MAX_FAULT_PAGES];
        try {
            while (!stopped) {
                int n = queue.await(pfns, pfns.length, 20);
                if (n == 0) continue;
                long now = System.nanoTime();
                synchronized (this) {
                    for (int i = 0; i < n; i++) if (requestedAt[(int) pfns[i]] == 0) requestedAt[(int) pfns[i]] = now;
                    requests += n;
                }
                Channel ch = faultChannel;
                ByteBuf out = ch.alloc().buffer(FaultRequest.FIXED_BYTES + Protocol.HEADER_BYTES + n * Long.BYTES);
                FaultRequest.encode(out, pfns, n);
                ch.writeAndFlush(out);                 // on a dead connection the write fails and is dropped
            }
        } catch (RuntimeException e) {
            if (!stopped) failure = e;
        }
    }

    /** Pages {@code [first, first+count)} were newly installed ({@code installed} of them), from the fault connection or the push. */
    public synchronized void installed(long first, int count, long installed, boolean fromFaultChannel) {
        long now = System.nanoTime();
        if (fromFaultChannel) pulled += installed; else pushed += installed;
        for (long p = first; p < first + count; p++) {
            long at = requestedAt[(int) p];
            if (at > 0) {
                long rtt = now - at;
                latencies[latencyCount++] = rtt;
                blocktime += rtt;
                requestedAt[(int) p] = -1;       // answered: later copies do not count again
            } else if (at == 0 && fromFaultChannel) {
                prepaged.set(p);
            }
        }
    }

    /**
     * After a reconnect: requests go to {@code channel} from now on, and every page asked for on the dead connection
     * counts as not yet asked (the source re-sends what is missing anyway).
     */
    public synchronized void reconnected(Channel channel) {
        this.faultChannel = channel;
    }

    /** Stops the pump thread and waits for it. */
    public void stop() throws InterruptedException {
        stopped = true;
        thread.join(5_000);
    }

    public synchronized Stats stats() {
        long[] l = Arrays.copyOf(latencies, latencyCount);
        Arrays.sort(l);
        long p50 = l.length == 0 ? 0 : l[l.length / 2], p99 = l.length == 0 ? 0 : l[Math.min(l.length - 1, (int) (l.length * 0.99))];
        return new Stats(requests, pulled, pushed, p50, p99, blocktime, latencyCount);
    }

    /** Pages that arrived on the fault connection without being asked for. */
    public PageBitmap prepaged() {
        return prepaged;
    }

    public Throwable failure() {
        return failure;
    }

    /** Stops the thread and frees the queue and the per-page state; idempotent. */
    @Override
    public synchronized void close() throws InterruptedException {
        if (closed) return;
        closed = true;
        stop();
        queue.close();
        arena.close();
    }

    /** Faults requested, pages pulled/pushed, fault round trip p50/p99 (ns), summed blocktime (ns), faults answered. */
    public record Stats(long faults, long pulled, long pushed, long p50, long p99, long blocktimeNanos, long answered) {}
}
