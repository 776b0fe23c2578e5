package io.xmig.control.session;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Decision;
import io.xmig.control.policy.RoundStats;
import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.hypervisor.LogDirtyStats;
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

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Function;

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

    /** Runs the migration to its end; never throws for a migration that failed: the outcome says how it ended. */
    public MigrationOutcome run() throws InterruptedException {
        MigrationOutcome.Builder out = new MigrationOutcome.Builder(options);
        long start = System.nanoTime();
        long pages = hv.guestPages(domid);
        int pageSize = (int) GuestMemory.PAGE_SIZE;
        out.guestPages(pages, pageSize);
        DirtyLog log = hv.dirtyLog(domid);
        boolean logDirty = false, paused = false, resumeSent = false;
        SourceTransport transport = null;
        PagePipeline pipeline = null;
        try (DirtyBitmap dirty = hv.newDirtyBitmap(pages); DirtyBitmap last = hv.newDirtyBitmap(pages)) {
            transport = SourceTransport.connect(peer, id, pages, pageSize, options.channels(), options.peerTimeout());
            TokenBucket bucket = options.bandwidthBytesPerSecond() > 0
                    ? new TokenBucket(options.bandwidthBytesPerSecond(), Math.max(256 * 1024, options.bandwidthBytesPerSecond() / 50))
                    : TokenBucket.unlimited();
            pipeline = new PagePipeline(hv.memory(domid), transport.bulk(), bucket);
            log.enable();
            logDirty = true;

            List<RoundStats> history = new ArrayList<>();
            PagePipeline.Totals before = pipeline.totals();
            int round = 0;
            Decision decision;
            while (true) {
                long t0 = System.nanoTime();
                if (round == 0) pipeline.sendAll(0);
                else pipeline.sendDirty(dirty, round, false);
                PagePipeline.Totals after = pipeline.awaitRound(round, options.peerTimeout().multipliedBy(10));
                long roundNanos = System.nanoTime() - t0;
                LogDirtyStats cleaned = log.clean(dirty, false);
                PagePipeline.Totals sent = after.minus(before);
                before = after;
                double bw = roundNanos > 0 ? sent.bytes() * 1e9 / roundNanos : 0;
                RoundStats stats = new RoundStats(round, sent.pages(), sent.zeroPages(), sent.bytes(), cleaned.dirtyCount(),
                        roundNanos, System.nanoTime() - start, bw, cleaned.dirtyCount() * pageSize, pages, pageSize, 0,
                        Optional.empty());
                history.add(stats);
                out.round(stats);
                decision = options.policy().decide(stats, List.copyOf(history));
                progress.accept(String.format("round %d: %d pages (%.1f MiB, %d zero) in %.0f ms at %.1f MiB/s; %d dirtied -> %s",
                        round, sent.pages(), sent.bytes() / 1048576.0, sent.zeroPages(), roundNanos / 1e6, bw / 1048576.0,
                        cleaned.dirtyCount(), decision.action()));
                if (decision.action() != Action.CONTINUE_PRECOPY) break;
                round++;
            }
            out.decision(decision, round);
            if (decision.action() == Action.ABORT) {
                abort(transport, "policy " + options.policy().name() + " aborted: " + decision.reason());
                return out.aborted(System.nanoTime() - start);
            }
            if (decision.action() != Action.STOP_AND_COPY) {
                throw new IllegalStateException(decision.action() + " is not supported by this version (pre-copy only)");
            }

            // Stop-and-copy: what the last CLEAN reported plus what the guest wrote until it stopped.
            last.copyFrom(dirty);
            hv.pause(domid);
            paused = true;
            long pausedAt = System.nanoTime();
            log.clean(dirty, true);
            dirty.or(last);
            int finalRound = round + 1;
            long t0 = System.nanoTime();
            pipeline.sendDirty(dirty, finalRound, true);
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
                Verifier.Result result = verifier.verify(pages);
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
            if (resumeSent) {
                logDirty = false;       // keep the source as it is: the destination may be running the guest
                return out.failed(System.nanoTime() - start, "lost the destination after RESUME: " + why
                        + "; the source guest stays paused because the destination may be running it");
            }
            if (transport != null) abort(transport, why);
            return out.failed(System.nanoTime() - start, why);
        } finally {
            if (pipeline != null) pipeline.close();
            if (transport != null) transport.close();
            if (logDirty) {
                try { log.disable(); } catch (RuntimeException ignored) { /* the domain may be gone */ }
            }
            if (paused && !resumeSent) hv.unpause(domid);
        }
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
