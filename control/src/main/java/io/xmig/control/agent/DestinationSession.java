package io.xmig.control.agent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.hypervisor.InstallMode;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.Hello;
import io.xmig.dataplane.protocol.PageHash;
import io.xmig.dataplane.protocol.PagesFrameReader;
import io.xmig.dataplane.protocol.ProtocolException;
import io.xmig.dataplane.protocol.Ready;
import io.xmig.dataplane.protocol.Resumed;
import io.xmig.dataplane.protocol.RoundEnd;
import io.xmig.dataplane.protocol.VerifyHashes;
import io.xmig.dataplane.protocol.VerifyRequest;

import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * The destination's half of one migration: the domain the guest arrives in, the pages received per bulk channel, the
 * vCPU context, and the steps from COMPLETE to RESUMED. If the migration ends in any other way (ABORT, an error, a
 * channel closing before RESUME), the domain is destroyed: the guest lives on the source only.
 *
 * <p>Bulk channels call {@link #receivePages} on their own event-loop threads, each with its own frame reader, and
 * install pages without taking the session's lock; everything else is synchronized on the session.
 */
public final class DestinationSession {
    public enum State { RECEIVING, READY, RESUMED, DISCARDED }

    private final Hypervisor hv;
    private final Hello hello;
    private final int domid;
    private final GuestMemory memory;
    private final Channel[] bulk;
    private final long[] finalPages;          // pages each channel announced for the final round, -1 until then
    private final long[] roundPages;          // pages each channel installed in its current round
    private final CompletableFuture<State> outcome = new CompletableFuture<>();
    private Channel control;
    private byte[] context;
    private boolean completeSeen;
    private long completeAt;
    private long pagesReceived;
    private State state = State.RECEIVING;

    DestinationSession(Hypervisor hv, Hello hello) {
        this.hv = hv;
        this.hello = hello;
        GuestSimulator sim = hv.simulator().orElseThrow(() -> new ProtocolException(ErrorCode.RESOURCES,
                "this agent cannot create destination domains: only the simulator can (Xen restores through xl, issue 7)"));
        this.domid = sim.createDestination(hello.guestPages());
        this.memory = hv.memory(domid);
        this.bulk = new Channel[hello.bulkChannels()];
        this.finalPages = new long[hello.bulkChannels()];
        this.roundPages = new long[hello.bulkChannels()];
        java.util.Arrays.fill(finalPages, -1);
    }

    public UUID id() { return hello.sessionId(); }
    public int domid() { return domid; }
    public synchronized State state() { return state; }
    /** Completes with RESUMED or DISCARDED. */
    public CompletableFuture<State> outcome() { return outcome; }

    synchronized void attachControl(Channel ch) {
        control = ch;
    }

    synchronized void attachBulk(Hello h, Channel ch) {
        if (h.bulkChannels() != bulk.length || h.guestPages() != hello.guestPages() || h.pageSize() != hello.pageSize()) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "bulk HELLO disagrees with the control HELLO of session " + id());
        }
        if (h.channelIndex() >= bulk.length) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "bulk channel " + h.channelIndex() + " of " + bulk.length);
        }
        if (bulk[h.channelIndex()] != null) {
            throw new ProtocolException(ErrorCode.DUPLICATE_HANDSHAKE, "bulk channel " + h.channelIndex() + " already connected");
        }
        if (state != State.RECEIVING) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "session " + id() + " is " + state);
        bulk[h.channelIndex()] = ch;
    }

    /** A PAGES frame on bulk channel {@code index}: validated whole by {@code reader.wrap}, then installed. */
    void receivePages(int index, PagesFrameReader reader, ByteBuf body) {
        reader.wrap(body);
        long n = 0;
        while (reader.nextRun()) {
            if (reader.zero()) memory.installZero(reader.firstPfn(), reader.pages(), InstallMode.OVERWRITE);
            else memory.install(reader.firstPfn(), reader.pages(), reader.data(), InstallMode.OVERWRITE);
            n += reader.pages();
        }
        synchronized (this) {
            if (state != State.RECEIVING) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "PAGES after the final round");
            roundPages[index] += n;
            pagesReceived += n;
        }
    }

    synchronized void roundEnd(int index, RoundEnd end) {
        if (end.pages() != roundPages[index]) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "bulk channel " + index + " round " + end.round()
                    + ": ROUND_END announces " + end.pages() + " pages, " + roundPages[index] + " arrived");
        }
        roundPages[index] = 0;
        if (end.finalRound()) {
            finalPages[index] = end.pages();
            maybeReady();
        }
    }

    synchronized void vcpuContext(byte[] ctx) {
        context = ctx;
    }

    synchronized void complete() {
        if (context == null) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "COMPLETE before VCPU_CONTEXT");
        completeSeen = true;
        completeAt = System.nanoTime();
        maybeReady();
    }

    private void maybeReady() {
        if (!completeSeen || state != State.RECEIVING) return;
        for (long f : finalPages) if (f < 0) return;
        hv.restoreVcpuContext(domid, context);
        state = State.READY;
        send(out -> new Ready(pagesReceived).encode(out));
    }

    synchronized void verify(VerifyRequest req) {
        if (state != State.READY) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "VERIFY_REQUEST while " + state);
        long[] hashes = new long[req.count()];
        int done = 0;
        while (done < req.count()) {
            int n = Math.min(1024, req.count() - done);
            try (PageMapping m = memory.mapRun(req.firstPfn() + done, n, false)) {
                for (int i = 0; i < n; i++) hashes[done + i] = PageHash.hash(m.page(i));
            }
            done += n;
        }
        send(out -> new VerifyHashes(req.firstPfn(), hashes).encode(out));
    }

    synchronized void resume() {
        if (state != State.READY) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "RESUME while " + state);
        hv.unpause(domid);
        state = State.RESUMED;
        long nanos = System.nanoTime() - completeAt;
        send(out -> new Resumed(nanos).encode(out));
        outcome.complete(State.RESUMED);
    }

    /** ABORT, an error, or a channel lost before RESUME: the copy goes. Idempotent. */
    synchronized void discard(String why) {
        if (state == State.RESUMED || state == State.DISCARDED) return;
        state = State.DISCARDED;
        try {
            hv.simulator().ifPresent(sim -> sim.destroy(domid));
        } finally {
            if (control != null) control.close();
            for (Channel c : bulk) if (c != null) c.close();
            outcome.complete(State.DISCARDED);
        }
    }

    private void send(java.util.function.Consumer<ByteBuf> encoder) {
        ByteBuf out = control.alloc().buffer(256);
        encoder.accept(out);
        control.writeAndFlush(out);
    }
}
