package io.xmig.control.session;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Decision;
import io.xmig.control.policy.Forecast;
import io.xmig.control.policy.RoundStats;
import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.hypervisor.LogDirtyStats;
import io.xmig.dataplane.heat.ResendRule;
import io.xmig.dataplane.heat.RoundPlanner;
import io.xmig.dataplane.pagepath.PagePathException;
import io.xmig.dataplane.pagepath.PagePipeline;
import io.xmig.dataplane.pagepath.TokenBucket;
import io.xmig.dataplane.protocol.Abort;
import io.xmig.dataplane.protocol.Complete;
import io.xmig.dataplane.protocol.Frame;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.Ready;
import io.xmig.dataplane.protocol.Resume;
import io.xmig.dataplane.protocol.Resumed;
import io.xmig.dataplane.protocol.VcpuContext;
import io.xmig.dataplane.transport.SourceTransport;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.postcopy.FaultServer;
import io.xmig.dataplane.protocol.BitmapChunk;
import io.xmig.dataplane.protocol.PostcopyComplete;
import io.xmig.dataplane.protocol.PostcopyDone;
import io.xmig.dataplane.protocol.PostcopyRunning;
import io.xmig.dataplane.protocol.PostcopyStart;

import java.lang.foreign.Arena;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The source's side of one pre-copy migration, Xen's {@code send_memory_live} loop with a {@link
 * io.xmig.control.policy.SwitchPolicy} deciding after every round:
 * <ol>
 *   <li>connect (CONTROL + N BULK channels), enable log-dirty;</li>
 *   <li>round 0 sends every page; after each round a CLEAN reports what the guest dirtied meanwhile and the policy
 *       answers CONTINUE_PRECOPY (send those pages as the next round), STOP_AND_COPY or ABORT;</li>
 *   <li>stop-and-copy: pause, final CLEAN (LOGDIRTY_FINAL), send what both CLEANs reported, the vCPU context and
 *       COMPLETE; once the destination is READY, verify (optional), RESUME, wait for RESUMED.</li>
 * </ol>
 * ABORT, or any failure before RESUME is sent: log-dirty off, the source guest unpaused if it was paused, ABORT to the
 * destination (which destroys its copy). The guest then runs on the source only. If the connection is lost after
 * RESUME went out, the destination may be running the guest: the source stays paused and the report says so.
 *
 * <p>Runs entirely on the calling thread ({@link #run()}), apart from the page path's sender threads.
 */
public final class MigrationSession {
    private final Hypervisor hv;
    private final int domid;
    private final InetSocketAddress peer;
    private final MigrationOptions options;
    private final Function<SourceTransport, Verifier> verifierFactory;
    private final Consumer<String> progress;
    private final UUID id = UUID.randomUUID();
    private boolean switched, pausedForSwitch, delivered, destinationHoldsNoCopy, switchConfirmed;
    private final List<SourceTransport> recovered = new ArrayList<>();
    private final List<PagePipeline> recoveredPipelines = new ArrayList<>();
    private volatile Decision requested;
    private RoundPlanner planner;
    private Supplier<Optional<Forecast>> forecasts = Optional::empty;
    private volatile PagePipeline live;
    private String forecaster;

    /**
     * Where the policy's forecasts come from: {@code source} is asked once per round, on the session thread, right after
     * the round's CLEAN (a {@link io.xmig.control.telemetry.ForecastFeed} answers with its latest forecast);
     * {@code forecaster} names it in the report. Call before {@link #run()}.
     */
    public void forecasts(String forecaster, Supplier<Optional<Forecast>> source) {
        this.forecaster = forecaster;
        this.forecasts = source;
    }

    /**
     * The operator's switch: at the end of the current round (or before round 0) the session acts on {@code action}
     * instead of asking the policy. Any thread; the last request wins.
     */
    public void requestSwitch(Action action, String why) {
        requested = new Decision(action, "requested by the operator" + (why == null || why.isBlank() ? "" : ": " + why));
    }

    private Decision orRequested(Decision policy) {
        Decision r = requested;
        return r != null ? r : policy;
    }

    public MigrationSession(Hypervisor hv, int domid, InetSocketAddress peer, MigrationOptions options,
                            Function<SourceTransport, Verifier> verifierFactory, Consumer<String> progress) {
        this.hv = hv;
        this.domid = domid;
        this.peer = peer;
        this.options = options;
        this.verifierFactory = verifierFactory;
        this.progress = progress;
    }

    public UUID id() {
        return id;
    }

    /** Bytes the page path has put on the wire so far (0 before it starts); any thread, e.g. telemetry's bandwidth. */
    public long bytesOnTheWire() {
        PagePipeline p = live;
        return p == null ? 0 : p.totals().bytes();
    }

    /** Runs the migration to its end; never throws for a migration that failed: the outcome says how it ended. */
    public MigrationOutcome run() throws InterruptedException {
        MigrationOutcome.Builder out = new MigrationOutcome.Builder(options);
        long start = System.nanoTime();
        long pages = hv.guestPages(domid);
        int pageSize = (int) GuestMemory.PAGE_SIZE;
        out.guestPages(pages, pageSize);
        out.forecaster(forecaster);
        DirtyLog log = hv.dirtyLog(domid);
        boolean logDirty = false, paused = false, resumeSent = false;
        switched = false;
        SourceTransport transport = null;
        PagePipeline pipeline = null;
        // `last` (what the destination lacks or holds stale) is ordinary memory: the session ORs into it, never into
        // `dirty`, which on Xen is a hypercall buffer the hypervisor writes (issue 7's test bed saw a SIGSEGV while a
        // sender wrote bits into one; not confirmed as the cause, but nothing needs to write there).
        Arena lastArena = Arena.ofShared();
        PageBitmap last = PageBitmap.allocate(lastArena, pages);
        try (DirtyBitmap dirty = hv.newDirtyBitmap(pages)) {
            transport = SourceTransport.connect(peer, id, pages, pageSize, options.channels(), options.peerTimeout());
            TokenBucket bucket = options.bandwidthBucket();
            pipeline = new PagePipeline(hv.memory(domid), transport.bulk(), bucket, options.compression());
            planner = new RoundPlanner(options.resend(), log,
                    options.resend() != ResendRule.NONE ? hv.newDirtyBitmap(pages) : null, pages);
            out.pagePath(planner, pipeline);
            live = pipeline;
            log.enable();
            logDirty = true;
            planner.warmUp();                                   // clustering: learn the hot set before round 0

            List<RoundStats> history = new ArrayList<>();
            PagePipeline.Totals before = pipeline.totals();
            Decision decision = orRequested(options.policy().atStart(pages, pageSize));
            int round = -1;
            if (decision.action() == Action.CONTINUE_PRECOPY) round = 0;
            while (decision.action() == Action.CONTINUE_PRECOPY) {
                long t0 = System.nanoTime();
                PagePipeline.Totals after = planner.sendRound(pipeline, dirty, round, options.peerTimeout().multipliedBy(10));
                long roundNanos = System.nanoTime() - t0;
                LogDirtyStats cleaned = log.clean(dirty, false);
                long pending = planner.afterClean(dirty);          // the CLEAN's pages and the ones this round deferred
                PagePipeline.Totals sent = after.minus(before);
                before = after;
                double bw = roundNanos > 0 ? sent.bytes() * 1e9 / roundNanos : 0;
                RoundStats stats = new RoundStats(round, sent.pages(), sent.zeroPages(), sent.bytes(), pending,
                        roundNanos, System.nanoTime() - start, bw, pending * pageSize, pages, pageSize, planner.hotSetPages(),
                        forecasts.get());
                history.add(stats);
                decision = orRequested(options.policy().decide(stats, List.copyOf(history)));
                out.round(stats, planner.lastDeferred(), planner.lastSkipped(), decision);
                progress.accept(String.format("round %d: %d pages (%.1f MiB, %d zero) in %.0f ms at %.1f MiB/s; %d dirtied -> %s",
                        round, sent.pages(), sent.bytes() / 1048576.0, sent.zeroPages(), roundNanos / 1e6, bw / 1048576.0,
                        pending, decision.action()));
                if (decision.action() == Action.CONTINUE_PRECOPY) round++;
            }
            out.decision(decision, round);
            if (decision.action() == Action.ABORT) {
                abort(transport, "policy " + options.policy().name() + " aborted: " + decision.reason());
                return out.aborted(System.nanoTime() - start);
            }
            // What the destination lacks or holds stale: what the last CLEAN reported (all of it before any round),
            // and then what the guest writes until it stops.
            if (round < 0) last.setAll(); else last.copyFrom(dirty);
            if (decision.action() == Action.START_POSTCOPY) {
                return postcopy(out, transport, pipeline, log, dirty, last, round, start, before);
            }
            if (decision.action() != Action.STOP_AND_COPY) throw new IllegalStateException("unknown decision " + decision);

            hv.pause(domid);
            paused = true;
            long pausedAt = System.nanoTime();
            log.clean(dirty, true);
            last.or(dirty);
            int finalRound = round + 1;
            long t0 = System.nanoTime();
            pipeline.sendDirty(last, finalRound, true);
            PagePipeline.Totals after = pipeline.awaitRound(finalRound, options.peerTimeout().multipliedBy(10));
            PagePipeline.Totals sent = after.minus(before);
            long roundNanos = System.nanoTime() - t0;
            out.finalRound(new RoundStats(finalRound, sent.pages(), sent.zeroPages(), sent.bytes(), 0, roundNanos,
                    System.nanoTime() - start, roundNanos > 0 ? sent.bytes() * 1e9 / roundNanos : 0, 0, pages, pageSize, 0,
                    Optional.empty()));
            byte[] context = hv.saveVcpuContext(domid);
            transport.sendControl(b -> new VcpuContext(context).encode(b));
            transport.sendControl(b -> new Complete(finalRound).encode(b));
            Ready ready = expect(transport, FrameType.READY, Ready::decode);
            progress.accept(String.format("final round %d: %d pages; destination ready with %d pages received",
                    finalRound, sent.pages(), ready.pagesReceived()));

            long verifyNanos = 0;
            if (options.verify()) {
                long v0 = System.nanoTime();
                Verifier verifier = verifierFactory.apply(transport);
                Verifier.Result result = verifier.verify(pages, null);
                verifyNanos = System.nanoTime() - v0;
                out.verified(verifier.method(), result, verifyNanos);
                progress.accept(String.format("verify (%s): %d pages checked, %d differ", verifier.method(),
                        result.pagesChecked(), result.pagesDiffering()));
                if (result.pagesDiffering() != 0) {
                    throw new MigrationFailedException(result.pagesDiffering() + " pages differ on the destination (first: "
                            + result.firstDifferingPage() + "); the guest stays on the source");
                }
            }
            resumeSent = true;
            transport.sendControl(b -> new Resume().encode(b));
            Resumed resumed = expect(transport, FrameType.RESUMED, Resumed::decode);
            long downtime = System.nanoTime() - pausedAt - verifyNanos;
            log.disable();
            logDirty = false;
            progress.accept(String.format("resumed on the destination: downtime %.1f ms", downtime / 1e6));
            return out.completed(System.nanoTime() - start, downtime, resumed.nanos());
        } catch (RuntimeException e) {
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            if (switched && destinationHoldsNoCopy && !delivered) {
                switched = false;       // the destination dropped its copy before running it: the guest comes home
                if (transport != null) abort(transport, why);
                return out.failed(System.nanoTime() - start, why + "; the destination holds no copy, the guest resumes on the source");
            }
            if (switched && delivered) {
                logDirty = false;
                resumeSent = true;
                return out.failed(System.nanoTime() - start, "lost the destination after every page had arrived: " + why
                        + "; the guest runs at the destination, unverified; the source stays paused");
            }
            if (switched && !switchConfirmed) {
                logDirty = false;
                resumeSent = true;      // keep the source paused: the destination may have switched
                return out.failed(System.nanoTime() - start, "the switch to post-copy was not confirmed: " + why
                        + "; the destination may be running the guest (check it); the source stays paused with the pages"
                        + " it would lack");
            }
            if (switched) {
                logDirty = false;
                resumeSent = true;      // keep the source paused: the guest runs at the destination now
                return out.failed(System.nanoTime() - start, "post-copy interrupted: " + why + "; the guest runs at the"
                        + " destination and the source (paused) holds the pages it still misses");
            }
            if (resumeSent) {
                logDirty = false;       // keep the source as it is: the destination may be running the guest
                return out.failed(System.nanoTime() - start, "lost the destination after RESUME: " + why
                        + "; the source guest stays paused because the destination may be running it");
            }
            if (transport != null) abort(transport, why);
            return out.failed(System.nanoTime() - start, why);
        } finally {
            if (pipeline != null) pipeline.close();
            if (planner != null) planner.close();
            if (transport != null) transport.close();
            recoveredPipelines.forEach(PagePipeline::close);
            recovered.forEach(SourceTransport::close);
            if (logDirty) {
                try { log.disable(); } catch (RuntimeException ignored) { /* the domain may be gone */ }
            }
            if ((paused || pausedForSwitch) && !resumeSent && !switched) hv.unpause(domid);
            lastArena.close();                          // after the transports: no fault answer reads it any more
        }
    }

    /**
     * The switch to post-copy after round {@code round} (-1: before any): pause, final CLEAN, tell the destination
     * which pages to drop, hand over the vCPU context, and once the guest runs there serve its faults (FaultServer,
     * on the priority connection) while the page path pushes every page it still lacks. The source keeps every page
     * until the destination reports them all installed.
     */
    private MigrationOutcome postcopy(MigrationOutcome.Builder out, SourceTransport transport, PagePipeline pipeline,
                                      DirtyLog log, DirtyBitmap dirty, PageBitmap stale, int round, long start,
                                      PagePipeline.Totals before) throws InterruptedException {
        int pageSize = (int) GuestMemory.PAGE_SIZE;
        long pages = stale.pages();
        int pushRound = round + 1;
        FaultServer faults = new FaultServer(hv.memory(domid), stale, transport.fault(), pushRound);
        transport.onFault(faults);                      // made before the pause: nothing but the switch in the downtime
        hv.pause(domid);
        pausedForSwitch = true;
        long pausedAt = System.nanoTime();
        log.clean(dirty, true);
        stale.or(dirty);
        long missing = stale.cardinality();
        byte[] context = hv.saveVcpuContext(domid);
        transport.sendControl(b -> new VcpuContext(context).encode(b));
        for (BitmapChunk c : BitmapChunk.split(FrameType.POSTCOPY_DISCARD, stale)) transport.sendControl(c::encode);
        switched = true;
        PostcopyRunning running = null;
        Recovery early = null;
        try {
            transport.sendControl(b -> new PostcopyStart(round, missing).encode(b));
            running = expect(transport, FrameType.POSTCOPY_RUNNING, PostcopyRunning::decode);
            switchConfirmed = true;
        } catch (PagePathException | MigrationFailedException e) {
            // Did the destination switch? Only a reconnect can tell: UNKNOWN_SESSION means it holds no copy, and the
            // guest comes home (run()'s catch unpauses it); a session it knows runs the guest, and the recovery
            // finishes the post-copy. Without this the guest could be left running nowhere.
            early = recover(e, stale, pages, pageSize);
        }
        long downtime = System.nanoTime() - pausedAt;
        if (running != null) {
            progress.accept(String.format("post-copy: guest resumed at the destination after %.1f ms (%.1f ms of it there),"
                    + " %d pages missing there", downtime / 1e6, running.nanos() / 1e6, running.missingPages()));
        }

        long t0 = System.nanoTime();
        PostcopyComplete done;
        PagePipeline.Totals pushed;
        Recovery r = early;
        if (r == null) {
            try {
                planner.push(pipeline, stale, pushRound);
                PagePipeline.Totals after = pipeline.awaitRound(pushRound, options.peerTimeout().multipliedBy(10));
                pushed = after.minus(before);
                transport.sendControl(b -> new PostcopyDone(pushRound, options.verify()).encode(b));
                done = expect(transport, FrameType.POSTCOPY_COMPLETE, PostcopyComplete::decode);
            } catch (PagePathException | MigrationFailedException e) {
                // The connection broke with the guest running at the destination: reconnect and finish (postcopy-recover).
                r = recover(e, stale, pages, pageSize);
                pushed = null;
                done = null;
            }
        } else {
            pushed = null;
            done = null;
        }
        if (r != null) {
            PagePipeline.Totals sentBefore = pipeline.totals().minus(before);
            transport = r.transport();
            faults = r.faults();
            done = r.done();
            pushed = new PagePipeline.Totals(sentBefore.pages() + r.pushed().pages(), sentBefore.zeroPages() + r.pushed().zeroPages(),
                    sentBefore.bytes() + r.pushed().bytes(), sentBefore.frames() + r.pushed().frames());
        }
        delivered = true;                                // every page is at the destination from here on
        long postcopyNanos = System.nanoTime() - t0;
        out.finalRound(new RoundStats(pushRound, pushed.pages() + faults.pagesSent(), pushed.zeroPages(),
                pushed.bytes() + faults.bytesSent(), 0, postcopyNanos, System.nanoTime() - start,
                postcopyNanos > 0 ? (pushed.bytes() + faults.bytesSent()) * 1e9 / postcopyNanos : 0, 0, pages, pageSize, 0,
                Optional.empty()));
        out.postcopy(new MigrationOutcome.Postcopy(round, done.faults(), faults.faults(), done.faultLatencyP50Nanos(),
                done.faultLatencyP99Nanos(), done.vcpuBlocktimeNanos(), done.pagesPushed(), done.pagesPulled(),
                faults.prepagedSent(), done.prepagedUsed(), postcopyNanos, missing));
        progress.accept(String.format("post-copy done: %d faults (p50 %.1f us, p99 %.1f us), %d pages pulled, %d pushed",
                done.faults(), done.faultLatencyP50Nanos() / 1e3, done.faultLatencyP99Nanos() / 1e3, done.pagesPulled(),
                done.pagesPushed()));
        log.disable();

        if (options.verify()) {
            try (Arena arena = Arena.ofConfined()) {
                PageBitmap written = PageBitmap.allocate(arena, pages);
                for (long k = 0; k < done.writtenChunks(); k++) {
                    expect(transport, FrameType.WRITTEN_PAGES, b -> BitmapChunk.decode(FrameType.WRITTEN_PAGES, b, pages)).orInto(written);
                }
                long v0 = System.nanoTime();
                Verifier verifier = verifierFactory.apply(transport);
                Verifier.Result result = verifier.verify(pages, written);
                out.verified(verifier.method(), result, System.nanoTime() - v0);
                progress.accept(String.format("verify (%s): %d pages the guest has not rewritten since it resumed checked, %d differ",
                        verifier.method(), result.pagesChecked(), result.pagesDiffering()));
                transport.sendControl(b -> new Resume().encode(b));
                expect(transport, FrameType.RESUMED, Resumed::decode);
                if (result.pagesDiffering() != 0) {
                    return out.failed(System.nanoTime() - start, result.pagesDiffering() + " pages differ after post-copy (first: "
                            + result.firstDifferingPage() + ")");
                }
            }
        }
        // after a recovery of the switch itself the destination's resume time was never reported: 0
        return out.completed(System.nanoTime() - start, downtime, running == null ? 0 : running.nanos());
    }

    private record Recovery(SourceTransport transport, FaultServer faults, PostcopyComplete done, PagePipeline.Totals pushed) {}

    /**
     * Post-copy recovery: the connection broke after the switch. The guest runs at the destination, blocked on what it
     * lacks; this source holds those pages, paused. Reconnect (HELLO with RECOVER) until {@code reconnectTimeout}, learn
     * what the destination still misses (RECOVER_MISSING), serve faults and push it on the new connections, and finish
     * as usual. If the connection does not come back in time the failure says so (docs/FAILURES.md).
     */
    private Recovery recover(RuntimeException cause, PageBitmap stale, long pages, int pageSize) throws InterruptedException {
        Duration limit = options.reconnectTimeout();
        progress.accept("post-copy: connection lost (" + cause.getMessage() + "); reconnecting for up to " + limit);
        long deadline = System.nanoTime() + limit.toNanos();
        SourceTransport t = null;
        while (t == null) {
            try {
                t = SourceTransport.connect(peer, id, pages, pageSize, options.channels(), options.peerTimeout(), true);
            } catch (io.xmig.dataplane.transport.PeerRefusedException e) {
                if (e.code() == io.xmig.dataplane.protocol.ErrorCode.UNKNOWN_SESSION) {
                    // The destination is up and knows no such session (it refused the switch, or dropped its copy, or
                    // restarted): no guest runs there, so the only copy is here.
                    destinationHoldsNoCopy = true;
                    throw new MigrationFailedException("the destination has no post-copy session to recover (" + e.getMessage() + ")");
                }
                if (e.getMessage().contains("already resumed here")) {
                    delivered = true;                    // it had every page and runs the guest: never resume here
                    throw new MigrationFailedException(e.getMessage());
                }
                if (System.nanoTime() > deadline) {
                    throw new MigrationFailedException("post-copy interrupted and not recovered within " + limit + ": "
                            + cause.getMessage() + "; last reconnect attempt: " + e.getMessage());
                }
                Thread.sleep(200);                       // e.g. it has not noticed the break yet: try again
            } catch (PagePathException e) {
                if (System.nanoTime() > deadline) {
                    throw new MigrationFailedException("post-copy interrupted and not recovered within " + limit + ": "
                            + cause.getMessage() + "; last reconnect attempt: " + e.getMessage());
                }
                Thread.sleep(200);
            }
        }
        recovered.add(t);
        switchConfirmed = true;                          // the destination knows the session: it switched
        FaultServer faults = new FaultServer(hv.memory(domid), stale, t.fault(), 0);
        t.onFault(faults);
        stale.clearAll();
        while (true) {
            Frame f = t.awaitControl(options.peerTimeout());
            try {
                if (f.type() == FrameType.RECOVER_READY) break;
                if (f.type() != FrameType.RECOVER_MISSING) throw new MigrationFailedException("expected RECOVER_MISSING, got " + f.type());
                BitmapChunk.decode(FrameType.RECOVER_MISSING, f.body(), pages).orInto(stale);
            } finally {
                f.release();
            }
        }
        progress.accept("post-copy: reconnected; the destination still lacks " + stale.cardinality() + " pages");
        TokenBucket bucket = options.bandwidthBucket();
        PagePipeline p = new PagePipeline(hv.memory(domid), t.bulk(), bucket);
        recoveredPipelines.add(p);
        p.push(stale, 0);
        PagePipeline.Totals pushed = p.awaitRound(0, options.peerTimeout().multipliedBy(10));
        SourceTransport tt = t;
        tt.sendControl(b -> new PostcopyDone(0, options.verify()).encode(b));
        PostcopyComplete done = expect(tt, FrameType.POSTCOPY_COMPLETE, PostcopyComplete::decode);
        return new Recovery(tt, faults, done, pushed);
    }

    private static void abort(SourceTransport transport, String why) {
        try {
            transport.sendControl(b -> new Abort(why.length() > 1000 ? why.substring(0, 1000) : why).encode(b));
        } catch (RuntimeException ignored) {
            // the peer is gone; closing the connection tells it the same
        }
    }

    /** The next control frame, which must be of type {@code type}, decoded; the frame is released. */
    private <T> T expect(SourceTransport transport, FrameType type, Function<io.netty.buffer.ByteBuf, T> decode)
            throws InterruptedException {
        Frame f = transport.awaitControl(options.peerTimeout());
        try {
            if (f.type() != type) throw new MigrationFailedException("expected " + type + " from the destination, got " + f.type());
            return decode.apply(f.body());
        } finally {
            f.release();
        }
    }
}
