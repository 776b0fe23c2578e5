package io.xmig.control.agent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.hypervisor.InstallMode;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.postcopy.FaultPump;
import io.xmig.dataplane.protocol.BitmapChunk;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.PostcopyComplete;
import io.xmig.dataplane.protocol.PostcopyDone;
import io.xmig.dataplane.protocol.PostcopyRunning;
import io.xmig.dataplane.protocol.PostcopyStart;
import io.xmig.dataplane.protocol.Hello;
import io.xmig.dataplane.protocol.PageHash;
import io.xmig.dataplane.protocol.PagesFrameReader;
import io.xmig.dataplane.protocol.ProtocolException;
import io.xmig.dataplane.protocol.Ready;
import io.xmig.dataplane.protocol.Resumed;
import io.xmig.dataplane.protocol.RoundEnd;
import io.xmig.dataplane.protocol.VerifyHashes;
import io.xmig.dataplane.protocol.VerifyRequest;

import java.lang.foreign.Arena;
import java.util.List;
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
    /**
     * Where the session is. ABANDONED: an interrupted post-copy that no source recovered within the agent's expiry
     * ({@link MigrationAgent#DEFAULT_INTERRUPTED_EXPIRY}); the session is gone from the agent, the domain stays (it
     * has run: it is never destroyed), blocked on any page it still lacks.
     */
    public enum State { RECEIVING, POSTCOPY, READY, RESUMED, DISCARDED, POSTCOPY_INTERRUPTED, ABANDONED }

    private final Hypervisor hv;
    private final Hello hello;
    private final int domid;
    private final GuestMemory memory;
    private final Channel[] bulk;
    private final long[] finalPages;          // pages each channel announced for the final round, -1 until then
    private final long[] roundPages;          // pages each channel installed in its current round
    private final int[] lastRoundEnded;       // the last round whose ROUND_END each channel delivered, -1 before any
    private Channel fault;
    private PageBitmap stale;                 // post-copy: pages to drop at the switch (POSTCOPY_DISCARD chunks)
    private Arena postcopyArena;
    private PostcopyStart pendingStart;
    private PostcopyDone pendingDone;
    private FaultPump pump, preparedPump;
    private Arena writtenScratchArena;
    private PageBitmap writtenScratch;
    private boolean postcopyFinished;
    private boolean recovering;
    /** System.nanoTime() when the session last became POSTCOPY_INTERRUPTED. */
    private long interruptedAt;
    private boolean missingRequested;
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
        this.lastRoundEnded = new int[hello.bulkChannels()];
        java.util.Arrays.fill(finalPages, -1);
        java.util.Arrays.fill(lastRoundEnded, -1);
    }

    public UUID id() { return hello.sessionId(); }
    public int domid() { return domid; }
    public synchronized State state() { return state; }
    /** Completes with RESUMED or DISCARDED. */
    public CompletableFuture<State> outcome() { return outcome; }

    /** Whether {@code ch} is one of the session's current channels (not one replaced by a reconnect). */
    synchronized boolean owns(Channel ch) {
        if (ch == control || ch == fault) return true;
        for (Channel b : bulk) if (b == ch) return true;
        return false;
    }

    synchronized void attachControl(Channel ch) {
        control = ch;
    }

    /**
     * Post-copy recovery: a CONTROL channel that says HELLO with RECOVER for this session. Only a session whose
     * connection broke after the switch takes one; its channels are replaced one by one as the source reconnects them,
     * and when the fault connection is back the destination tells the source which pages it still lacks.
     */
    synchronized void recoverControl(Hello h, Channel ch) {
        if (state != State.POSTCOPY_INTERRUPTED) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "session " + id() + " is " + state + ", nothing to recover");
        }
        if (h.guestPages() != hello.guestPages() || h.bulkChannels() != bulk.length) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "RECOVER HELLO disagrees with session " + id());
        }
        control = ch;
        java.util.Arrays.fill(bulk, null);
        java.util.Arrays.fill(roundPages, 0);
        java.util.Arrays.fill(finalPages, -1);
        fault = null;
        pendingDone = null;
        missingRequested = false;
        recovering = true;
    }

    synchronized void attachBulk(Hello h, Channel ch) {
        if (h.recover() != recovering) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "bulk HELLO " + (h.recover() ? "with" : "without")
                    + " RECOVER for session " + id() + " (" + state + ")");
        }
        if (h.bulkChannels() != bulk.length || h.guestPages() != hello.guestPages() || h.pageSize() != hello.pageSize()) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "bulk HELLO disagrees with the control HELLO of session " + id());
        }
        if (h.channelIndex() >= bulk.length) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "bulk channel " + h.channelIndex() + " of " + bulk.length);
        }
        if (bulk[h.channelIndex()] != null) {
            throw new ProtocolException(ErrorCode.DUPLICATE_HANDSHAKE, "bulk channel " + h.channelIndex() + " already connected");
        }
        if (state != State.RECEIVING && !recovering) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "session " + id() + " is " + state);
        bulk[h.channelIndex()] = ch;
    }

    /** The fault connection; the fault pump is made now (not at the switch, where every millisecond is downtime). */
    synchronized void attachFault(Channel ch) {
        if (fault != null) throw new ProtocolException(ErrorCode.DUPLICATE_HANDSHAKE, "fault channel already connected");
        fault = ch;
        if (recovering) {
            finishRecovery();
            return;
        }
        GuestSimulator sim = hv.simulator().orElseThrow();
        preparedPump = new FaultPump(sim.faultQueue(domid), fault, hello.guestPages());
        writtenScratchArena = Arena.ofShared();
        writtenScratch = PageBitmap.allocate(writtenScratchArena, hello.guestPages());
    }

    /**
     * A PAGES frame on bulk channel {@code index}: validated whole by {@code reader.wrap}, then installed: over older
     * copies during pre-copy, only where missing once the guest runs here (post-copy), so that nothing it wrote is lost.
     */
    void receivePages(int index, PagesFrameReader reader, ByteBuf body) {
        reader.wrap(body);
        FaultPump p;
        InstallMode mode;
        synchronized (this) {
            if (state != State.RECEIVING && state != State.POSTCOPY) {
                throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "PAGES after the final round");
            }
            p = postcopyFinished ? null : pump;
            mode = pump != null ? InstallMode.IF_MISSING : InstallMode.OVERWRITE;
        }
        long n = 0;
        while (reader.nextRun()) {
            long done = reader.zero() ? memory.installZero(reader.firstPfn(), reader.pages(), mode)
                    : memory.install(reader.firstPfn(), reader.pages(), reader.data(), mode);
            if (p != null) p.installed(reader.firstPfn(), reader.pages(), done, false);
            n += reader.pages();
        }
        synchronized (this) {
            roundPages[index] += n;
            pagesReceived += n;
        }
    }

    /** A PAGES frame on the fault connection: answers to faults and pre-paged neighbours, installed where missing. */
    void receiveFaultPages(PagesFrameReader reader, ByteBuf body) {
        reader.wrap(body);
        FaultPump p;
        synchronized (this) {
            if (pump == null) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "fault PAGES while " + state);
            p = postcopyFinished ? null : pump;                   // answers still in flight when every page was in
        }
        while (reader.nextRun()) {
            long done = reader.zero() ? memory.installZero(reader.firstPfn(), reader.pages(), InstallMode.IF_MISSING)
                    : memory.install(reader.firstPfn(), reader.pages(), reader.data(), InstallMode.IF_MISSING);
            if (p != null) p.installed(reader.firstPfn(), reader.pages(), done, true);
        }
        synchronized (this) {
            if (pendingDone != null) maybePostcopyComplete();
        }
    }

    synchronized void discardChunk(BitmapChunk chunk) {
        if (state != State.RECEIVING) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "POSTCOPY_DISCARD while " + state);
        if (stale == null) {
            postcopyArena = Arena.ofShared();
            stale = PageBitmap.allocate(postcopyArena, hello.guestPages());
        }
        chunk.orInto(stale);
    }

    synchronized void postcopyStart(PostcopyStart start) {
        if (state != State.RECEIVING || pendingStart != null) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "POSTCOPY_START while " + state);
        }
        if (context == null) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "POSTCOPY_START before VCPU_CONTEXT");
        if (fault == null) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "POSTCOPY_START without a fault connection");
        pendingStart = start;
        completeAt = System.nanoTime();
        maybeStartPostcopy();
    }

    /** The switch, once the last pre-copy round has been installed from every bulk channel. */
    private void maybeStartPostcopy() {
        if (pendingStart == null || state != State.RECEIVING) return;
        for (int r : lastRoundEnded) if (r < pendingStart.lastRound()) return;
        GuestSimulator sim = hv.simulator().orElseThrow();
        if (stale != null) {
            for (long p = stale.nextSetBit(0); p >= 0; ) {
                long end = stale.nextClearBit(p);
                sim.discardPages(domid, p, end - p);
                p = stale.nextSetBit(end);
            }
        }
        hv.restoreVcpuContext(domid, context);
        sim.writtenPages(domid, writtenScratch, true);                 // the guest's written record starts now
        pump = preparedPump;
        pump.start();
        hv.unpause(domid);
        state = State.POSTCOPY;
        long missing = hello.guestPages() - sim.counters(domid).pagesPresent();
        long nanos = System.nanoTime() - completeAt;
        send(out -> new PostcopyRunning(nanos, missing).encode(out));
    }

    synchronized void postcopyDone(PostcopyDone done) {
        if (state != State.POSTCOPY) throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "POSTCOPY_DONE while " + state);
        pendingDone = done;
        maybePostcopyComplete();
    }

    /** Every page in: report, and with verification pause the guest and send what it wrote since it resumed. */
    private void maybePostcopyComplete() {
        if (pendingDone == null || state != State.POSTCOPY) return;
        for (long f : finalPages) if (f < 0) return;
        GuestSimulator sim = hv.simulator().orElseThrow();
        long present = sim.counters(domid).pagesPresent();
        if (present < hello.guestPages()) {
            if (!missingRequested) requestMissing(sim);
            return;
        }
        try {
            pump.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (pump.failure() != null) throw new IllegalStateException("fault pump failed: " + pump.failure(), pump.failure());
        FaultPump.Stats st = pump.stats();
        try (Arena a = Arena.ofConfined()) {
            PageBitmap written = PageBitmap.allocate(a, hello.guestPages());
            if (pendingDone.verify()) hv.pause(domid);                 // resumed by RESUME after the source compared
            sim.writtenPages(domid, written, false);
            long prepagedUsed = 0;
            PageBitmap pre = pump.prepaged();
            for (long p = pre.nextSetBit(0); p >= 0; p = pre.nextSetBit(p + 1)) if (written.get(p)) prepagedUsed++;
            List<BitmapChunk> chunks = pendingDone.verify() ? BitmapChunk.split(io.xmig.dataplane.protocol.FrameType.WRITTEN_PAGES, written) : List.of();
            long used = prepagedUsed;
            send(out -> new PostcopyComplete(st.faults(), st.pulled(), st.pushed(), st.p50(), st.p99(), st.blocktimeNanos(),
                    used, chunks.size()).encode(out));
            for (BitmapChunk c : chunks) send(c::encode);
        }
        postcopyFinished = true;
        closePump();
        if (pendingDone.verify()) {
            state = State.READY;
        } else {
            state = State.RESUMED;
            outcome.complete(State.RESUMED);
        }
    }

    /** Every channel is back: the guest's faults go to the new connection, and the source learns what is missing. */
    private void finishRecovery() {
        recovering = false;
        state = State.POSTCOPY;
        pump.reconnected(fault);
        GuestSimulator sim = hv.simulator().orElseThrow();
        long missing;
        try (Arena a = Arena.ofConfined()) {
            PageBitmap present = PageBitmap.allocate(a, hello.guestPages());
            long have = sim.presentPages(domid, present);
            missing = hello.guestPages() - have;
            PageBitmap lacking = PageBitmap.allocate(a, hello.guestPages());
            for (long p = present.nextClearBit(0); p < hello.guestPages(); p = present.nextClearBit(p + 1)) lacking.set(p);
            for (BitmapChunk c : BitmapChunk.split(io.xmig.dataplane.protocol.FrameType.RECOVER_MISSING, lacking)) send(c::encode);
        }
        long m = missing;
        send(out -> new io.xmig.dataplane.protocol.RecoverReady(m).encode(out));
    }

    /** After the push, pages still missing (none, normally): ask for them as if they had faulted. */
    private void requestMissing(GuestSimulator sim) {
        missingRequested = true;
        try (Arena a = Arena.ofConfined()) {
            PageBitmap present = PageBitmap.allocate(a, hello.guestPages());
            sim.presentPages(domid, present);
            long[] batch = new long[io.xmig.dataplane.protocol.Protocol.MAX_FAULT_PAGES];
            int n = 0;
            for (long p = present.nextClearBit(0); p < hello.guestPages(); p = present.nextClearBit(p + 1)) {
                batch[n++] = p;
                if (n == batch.length) { sendFault(batch, n); n = 0; }
            }
            if (n > 0) sendFault(batch, n);
        }
    }

    private void sendFault(long[] pfns, int n) {
        ByteBuf out = fault.alloc().buffer(16 + n * 8);
        io.xmig.dataplane.protocol.FaultRequest.encode(out, pfns, n);
        fault.writeAndFlush(out);
    }

    private void closePump() {
        FaultPump p = pump != null ? pump : preparedPump;
        preparedPump = null;
        try {
            if (p != null) p.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (postcopyArena != null) { postcopyArena.close(); postcopyArena = null; }
        if (writtenScratchArena != null) { writtenScratchArena.close(); writtenScratchArena = null; writtenScratch = null; }
    }

    synchronized void roundEnd(int index, RoundEnd end) {
        lastRoundEnded[index] = end.round();
        if (end.pages() != roundPages[index]) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "bulk channel " + index + " round " + end.round()
                    + ": ROUND_END announces " + end.pages() + " pages, " + roundPages[index] + " arrived");
        }
        roundPages[index] = 0;
        if (end.finalRound()) {
            finalPages[index] = end.pages();
            maybeReady();
            maybePostcopyComplete();
        }
        maybeStartPostcopy();
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
        closePump();
        hv.unpause(domid);
        state = State.RESUMED;
        long nanos = System.nanoTime() - completeAt;
        send(out -> new Resumed(nanos).encode(out));
        outcome.complete(State.RESUMED);
    }

    /**
     * ABORT, an error, or a channel lost before RESUME: the copy goes. Idempotent. Once the guest runs here (post-copy)
     * it is the only running copy: it is kept, waiting for its missing pages (POSTCOPY_INTERRUPTED).
     */
    synchronized void discard(String why) {
        if (state == State.RESUMED || state == State.DISCARDED || state == State.POSTCOPY_INTERRUPTED) return;
        if (state == State.READY && postcopyFinished) {
            // every page is here; only the verification was left: the guest goes on here, unverified
            System.err.println("xmig agent: session " + id() + ": connection lost during post-copy verification (" + why
                    + "); every page is here, domain " + domid + " resumes unverified");
            closePump();
            hv.unpause(domid);
            state = State.RESUMED;
            outcome.complete(State.RESUMED);
            return;
        }
        if (state == State.POSTCOPY || recovering) {
            // the guest runs here and nowhere else: keep it, blocked on what it lacks, until the source reconnects
            state = State.POSTCOPY_INTERRUPTED;
            recovering = false;
            interruptedAt = System.nanoTime();
            System.err.println("xmig agent: session " + id() + ": post-copy interrupted (" + why + "); domain " + domid
                    + " keeps running here and waits for the source to reconnect");
            return;
        }
        closePump();
        state = State.DISCARDED;
        try {
            hv.simulator().ifPresent(sim -> sim.destroy(domid));
        } finally {
            if (control != null) control.close();
            for (Channel c : bulk) if (c != null) c.close();
            outcome.complete(State.DISCARDED);
        }
    }

    /**
     * Ends an interrupted post-copy that no source has started to recover since {@code notAfterNanos}
     * (System.nanoTime()): frees what only a recovery would use (the fault pump and its thread, the post-copy
     * buffers, any connection still open) and completes the outcome ABANDONED. The domain is kept: its guest has run
     * here and is the only running copy. Returns whether it did.
     */
    synchronized boolean abandonIfInterruptedBefore(long notAfterNanos) {
        if (state != State.POSTCOPY_INTERRUPTED || recovering || interruptedAt - notAfterNanos > 0) return false;
        System.err.println("xmig agent: session " + id() + ": post-copy interrupted and not recovered in time; the "
                + "session is dropped, domain " + domid + " stays here with the pages it has");
        closePump();
        state = State.ABANDONED;
        if (control != null) control.close();
        for (Channel c : bulk) if (c != null) c.close();
        if (fault != null) fault.close();
        outcome.complete(State.ABANDONED);
        return true;
    }

    private void send(java.util.function.Consumer<ByteBuf> encoder) {
        ByteBuf out = control.alloc().buffer(256);
        encoder.accept(out);
        control.writeAndFlush(out);
    }
}
