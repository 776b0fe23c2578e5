package io.xmig.control.faults;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.policy.Action;
import io.xmig.control.session.DirectVerifier;
import io.xmig.control.session.MigrationOptions;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.control.session.MigrationSession;
import io.xmig.control.faults.FaultProxy.Fault;
import io.xmig.control.faults.FaultProxy.Kind;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One migration in this process (a source guest, an agent, a {@link FaultProxy} between them injecting one fault, or
 * none), played out to the end on both sides, and where the guest ended up compared with what docs/FAILURES.md
 * documents for that fault ({@link #documented}). A CUT heals after {@link #HEAL_AFTER} (so post-copy can reconnect;
 * a pre-copy source has given up by then). Leaves no domain behind. Used by the fault matrix test and the
 * reliability campaign ({@code xmig-bench campaign}); not for production use. Static, any thread.
 */
public final class FaultedMigration {
    public static final Duration HEAL_AFTER = Duration.ofMillis(500);

    /** Where the guest is once the fault has played out. */
    public enum Where {
        /** FAILED or ABORTED; the source guest running, log-dirty off; the destination's copy discarded. */
        SOURCE_RUNS,
        /** COMPLETED, verification found no difference; the destination running, the source paused. */
        COMPLETED,
        /** FAILED "post-copy interrupted"; the destination running (interrupted, waiting), the source paused. */
        DESTINATION_RUNS_INTERRUPTED,
        /** FAILED; the source paused, the destination's copy discarded: the documented "nowhere" windows. */
        NOWHERE,
        /** Anything else, e.g. both copies running: never acceptable. */
        UNDOCUMENTED
    }

    /**
     * How it went: the source's outcome, whether the fault fired, the state of both domains and of the destination's
     * session at the end, whether log-dirty was off on a source left running, the destination's present pages.
     */
    public record Result(Fault fault, MigrationOutcome outcome, boolean faultInjected, Where where,
                         SimCounters.State source, SimCounters.State destination, DestinationSession.State session,
                         boolean logDirtyOff, long destinationPagesPresent) {
        /** Whether the migration switched to post-copy (or decided to). */
        public boolean postcopy() {
            return outcome.decision() != null && outcome.decision().action() == Action.START_POSTCOPY;
        }

        /** The outcomes FAILURES.md allows for this run. A policy's ABORT ("pre-copy round k: policy ABORT") leaves
         *  the guest at the source whatever else happened. */
        public Set<Where> documented() {
            if (outcome.status() == MigrationOutcome.Status.ABORTED) return EnumSet.of(Where.SOURCE_RUNS);
            return faultInjected ? FaultedMigration.documented(fault, postcopy()) : EnumSet.of(Where.COMPLETED);
        }

        /** Copies of the guest running at the end. */
        public int copiesRunning() {
            return (source == SimCounters.State.RUNNING ? 1 : 0) + (destination == SimCounters.State.RUNNING ? 1 : 0);
        }
    }

    private FaultedMigration() {}

    /**
     * The outcomes docs/FAILURES.md gives for {@code f} once injected, in a migration that switches to post-copy
     * ({@code postcopy}) or not. Network faults only; the agent process stays up.
     */
    public static Set<Where> documented(Fault f, boolean postcopy) {
        if (f.kind() == Kind.DELAY) return EnumSet.of(Where.COMPLETED);                // a slow network is no failure
        return switch (f.phase()) {
            // handshake, pre-copy round k (before any switch): "source, running"
            case HANDSHAKE, PRECOPY_ROUND -> EnumSet.of(Where.SOURCE_RUNS);
            // VCPU_CONTEXT: a second copy carries the same context and is kept, nothing fails. Otherwise pre-copy:
            // "stop-and-copy, before RESUME: source, running again". Before a switch, the break reaches the source
            // either before it writes POSTCOPY_START (it unpauses: source) or after (it reconnects to ask: the
            // destination discarded its copy, so the guest comes home; a network that stays stalled: nowhere)
            case STOP_AND_COPY -> f.kind() == Kind.DUPLICATE ? EnumSet.of(Where.COMPLETED)
                    : !postcopy ? EnumSet.of(Where.SOURCE_RUNS)
                    : f.kind() == Kind.STALL ? EnumSet.of(Where.SOURCE_RUNS, Where.NOWHERE)
                    : EnumSet.of(Where.SOURCE_RUNS, Where.COMPLETED);
            // "POSTCOPY_START sent, no POSTCOPY_RUNNING": the source reconnects to ask. UNKNOWN_SESSION: the
            // destination discarded a copy that had not switched, the guest comes home; a session it knows: it had
            // switched, the recovery completes. A network that stays stalled past the reconnect timeout leaves it
            // unknown: the source stays paused (nowhere, or the destination if it had switched). A duplicate or a
            // delay: completes
            case SWITCH -> f.kind() == Kind.DUPLICATE || f.kind() == Kind.DELAY ? EnumSet.of(Where.COMPLETED)
                    : f.kind() == Kind.STALL ? EnumSet.of(Where.NOWHERE, Where.DESTINATION_RUNS_INTERRUPTED)
                    : EnumSet.of(Where.SOURCE_RUNS, Where.COMPLETED);
            // the push, and POSTCOPY_DONE: "post-copy resumed after reconnect"; a network that stays stalled:
            // "reconnect timeout", the guest at the destination
            case POSTCOPY -> postcopyPush(f);
            // pre-copy RESUME: "after RESUME sent, RESUMED not received": destination if RESUME arrived (a
            // duplicate), else nowhere. Post-copy POSTCOPY_DONE: as the push
            case COMPLETION -> postcopy ? postcopyPush(f)
                    : f.kind() == Kind.DUPLICATE ? EnumSet.of(Where.COMPLETED) : EnumSet.of(Where.NOWHERE);
        };
    }

    private static Set<Where> postcopyPush(Fault f) {
        return f.kind() == Kind.STALL ? EnumSet.of(Where.DESTINATION_RUNS_INTERRUPTED) : EnumSet.of(Where.COMPLETED);
    }

    /**
     * Creates a guest of {@code pages} pages running {@code workload}, migrates it to a fresh agent through a proxy
     * injecting {@code fault} (null: none), and waits until both sides have settled. {@code options} should have
     * verification on.
     */
    public static Result run(XenHypervisor hv, long pages, String workload, long seed, MigrationOptions options, Fault fault)
            throws InterruptedException {
        GuestSimulator sim = hv.simulator().orElseThrow(() -> new IllegalStateException("needs the simulator"));
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        int source = sim.createDomain(pages, workload, seed);
        int destination = -1;
        try (MigrationAgent agent = new MigrationAgent(hv, 3, arrived::complete).listen(new InetSocketAddress("127.0.0.1", 0));
             // no fault: one that never matches (PAGES of round -1)
             FaultProxy proxy = new FaultProxy(agent.address(), fault != null ? fault
                     : new Fault(Kind.DELAY, FaultProxy.Phase.PRECOPY_ROUND, -1), () -> { })) {
            MigrationSession session = new MigrationSession(hv, source, proxy.address(), options,
                    t -> new DirectVerifier(hv, source, () -> arrived.join().domid()), line -> { });
            CompletableFuture<MigrationOutcome> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return session.run();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            if (fault != null && fault.kind() == Kind.CUT) {
                while (!run.isDone() && !proxy.awaitTriggered(Duration.ofMillis(50))) { }
                if (proxy.triggered()) {
                    Thread.sleep(HEAL_AFTER.toMillis());
                    proxy.heal();
                }
            }
            MigrationOutcome out;
            try {
                out = run.get(10, TimeUnit.MINUTES);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("the migration did not end: " + e, e);
            }
            boolean injected = fault != null && proxy.triggered();
            proxy.close();                                        // the network goes away: each side settles
            DestinationSession ds = arrived.getNow(null);
            DestinationSession.State dstate = ds == null ? null : settle(ds);
            if (ds != null && (dstate == DestinationSession.State.RESUMED || dstate == DestinationSession.State.POSTCOPY_INTERRUPTED)) {
                destination = ds.domid();
            }
            SimCounters.State src = sim.counters(source).state();
            SimCounters.State dst = destination < 0 ? null : sim.counters(destination).state();
            long present = destination < 0 ? 0 : sim.counters(destination).pagesPresent();
            boolean logOff = src != SimCounters.State.RUNNING || logDirtyOff(hv, source);
            Where where = classify(out, src, dst, destination, pages, present);
            return new Result(fault, out, injected, where, src, dst, dstate, logOff, present);
        } finally {
            sim.destroy(source);
            if (destination >= 0) sim.destroy(destination);
        }
    }

    private static Where classify(MigrationOutcome out, SimCounters.State src, SimCounters.State dst, int destination,
                                  long pages, long present) {
        boolean completed = out.status() == MigrationOutcome.Status.COMPLETED;
        if (completed && dst == SimCounters.State.RUNNING && src == SimCounters.State.PAUSED && present == pages
                && out.verify() != null && out.verify().pagesDiffering() == 0) return Where.COMPLETED;
        if (!completed && src == SimCounters.State.RUNNING && destination < 0) return Where.SOURCE_RUNS;
        if (out.status() == MigrationOutcome.Status.FAILED && src == SimCounters.State.PAUSED) {
            if (dst == SimCounters.State.RUNNING) return Where.DESTINATION_RUNS_INTERRUPTED;
            if (destination < 0) return Where.NOWHERE;
        }
        return Where.UNDOCUMENTED;
    }

    /** The destination's session once the closed network has reached it (10 s at most). */
    private static DestinationSession.State settle(DestinationSession ds) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            DestinationSession.State s = ds.state();
            if (s == DestinationSession.State.RESUMED || s == DestinationSession.State.DISCARDED
                    || s == DestinationSession.State.POSTCOPY_INTERRUPTED) return s;
            Thread.sleep(20);
        }
        return ds.state();
    }

    /** Whether log-dirty is off: enabling it fails (EINVAL) if a failed session had left it on. */
    private static boolean logDirtyOff(XenHypervisor hv, int domid) {
        try {
            var log = hv.dirtyLog(domid);
            log.enable();
            log.disable();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }
}
