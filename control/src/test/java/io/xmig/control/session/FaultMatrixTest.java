package io.xmig.control.session;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.policy.Policies;
import io.xmig.control.session.FaultProxy.Fault;
import io.xmig.control.session.FaultProxy.Kind;
import io.xmig.control.session.FaultProxy.Phase;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every network fault at every phase of a migration ({@link FaultProxy} between the source and an agent in this
 * process), each checked against the outcome docs/FAILURES.md documents for it ({@link #expected}), and against the
 * invariant that the guest runs on at most one side, and on exactly one except in the windows FAILURES.md names
 * (after RESUME or POSTCOPY_START was sent and lost: the source stays paused, "nowhere"). The table this produces is
 * in docs/RELIABILITY.md.
 */
@Timeout(600)
class FaultMatrixTest {
    private static final long PAGES = 4096;                                   // 16 MiB
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration RECONNECT = Duration.ofSeconds(3);
    private static final Duration HEAL_AFTER = Duration.ofMillis(500);
    private static XenHypervisor hv;

    /** Where the guest is when the fault has played out. */
    enum Outcome {
        /** FAILED or ABORTED; the source guest running, log-dirty off; the destination's copy discarded. */
        SOURCE_RUNS,
        /** COMPLETED, verification found no difference; the destination running, the source paused. */
        COMPLETED,
        /** FAILED "post-copy interrupted"; the destination running (interrupted, waiting), the source paused. */
        DESTINATION_RUNS_INTERRUPTED,
        /** FAILED; the source paused, the destination's copy discarded: the documented "nowhere" windows. */
        NOWHERE
    }

    @BeforeAll
    static void open() {
        hv = XenHypervisor.open();
    }

    @AfterAll
    static void closeAll() {
        hv.close();
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    /** The outcome docs/FAILURES.md gives for {@code fault} (network faults; the agent process stays up). */
    static Outcome expected(Fault f) {
        if (f.kind() == Kind.DELAY) return Outcome.COMPLETED;                   // a slow network is not a failure
        return switch (f.phase()) {
            // handshake, pre-copy round k, stop-and-copy before RESUME: "source, running"
            case HANDSHAKE, PRECOPY_ROUND -> Outcome.SOURCE_RUNS;
            // a second VCPU_CONTEXT carries the same context: the destination keeps the last one, nothing fails
            case STOP_AND_COPY -> f.kind() == Kind.DUPLICATE ? Outcome.COMPLETED : Outcome.SOURCE_RUNS;
            // "POSTCOPY_START sent, no POSTCOPY_RUNNING": the source stays paused, no reconnect; the destination
            // discards a copy that had not switched: nowhere. A duplicate arrives after the switch: the destination
            // refuses it (UNEXPECTED_FRAME) once POSTCOPY_RUNNING is on its way, and post-copy recovers.
            case SWITCH -> f.kind() == Kind.DUPLICATE ? Outcome.COMPLETED : Outcome.NOWHERE;
            // post-copy push: "post-copy resumed after reconnect"; a network that stays stalled: reconnect timeout
            case POSTCOPY -> f.kind() == Kind.STALL ? Outcome.DESTINATION_RUNS_INTERRUPTED : Outcome.COMPLETED;
            // "after RESUME sent, RESUMED not received": destination if RESUME arrived (a duplicate), else nowhere
            case COMPLETION -> f.kind() == Kind.DUPLICATE ? Outcome.COMPLETED : Outcome.NOWHERE;
        };
    }

    static Stream<Arguments> faults() {
        Kind[] network = Arrays.stream(Kind.values()).filter(k -> k != Kind.KILL).toArray(Kind[]::new);
        return Arrays.stream(Phase.values()).flatMap(p -> Arrays.stream(network)
                .map(k -> Arguments.of(new Fault(k, p, p == Phase.PRECOPY_ROUND ? 1 : 0))));
    }

    /** Pre-copy phases under xen-default; the post-copy ones under postcopy-only (the switch before any round). */
    static String policyFor(Phase p) {
        return p == Phase.SWITCH || p == Phase.POSTCOPY ? "postcopy-only" : "xen-default";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void theOutcomeIsTheDocumentedOneAndTheGuestRunsOnOneSideAtMost(Fault fault) throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        int source = sim.createDomain(PAGES, "sweep:rate=20k,ws=12M", 3);
        int destination = -1;
        try (MigrationAgent agent = new MigrationAgent(hv, 3, arrived::complete).listen(new InetSocketAddress("127.0.0.1", 0));
             FaultProxy proxy = new FaultProxy(agent.address(), fault, () -> { })) {
            String policy = policyFor(fault.phase());
            MigrationOptions o = new MigrationOptions(Policies.create(policy), policy, 2, 64L << 20, true,
                    PEER_TIMEOUT, RECONNECT);
            MigrationSession session = new MigrationSession(hv, source, proxy.address(), o,
                    t -> new DirectVerifier(hv, source, () -> arrived.join().domid()), line -> { });
            CompletableFuture<MigrationOutcome> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return session.run();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            if (fault.kind() == Kind.CUT && fault.phase() == Phase.POSTCOPY) {
                assertThat(proxy.awaitTriggered(Duration.ofSeconds(30))).isTrue();
                Thread.sleep(HEAL_AFTER.toMillis());
                proxy.heal();
            }
            MigrationOutcome out = run.get(120, TimeUnit.SECONDS);
            assertThat(proxy.triggered()).as("the fault was injected (%s)", out.error()).isTrue();
            proxy.close();                                        // the network goes away: each side settles
            DestinationSession ds = arrived.getNow(null);
            DestinationSession.State dstate = ds == null ? null : settle(ds);
            if (ds != null && (dstate == DestinationSession.State.RESUMED || dstate == DestinationSession.State.POSTCOPY_INTERRUPTED)) {
                destination = ds.domid();
            }
            SimCounters.State src = sim.counters(source).state();
            SimCounters.State dst = destination < 0 ? null : sim.counters(destination).state();
            Outcome seen = classify(out, src, dst, destination);
            System.out.printf("fault matrix: %-28s -> %-28s %s; source %s, destination %s (%s)%n", fault, seen,
                    out.status(), src, dst, dstate);
            assertThat(seen).as("%s: %s, %s; source %s, destination %s (%s)", fault, out.status(), out.error(), src,
                    dst, dstate).isEqualTo(expected(fault));
            long running = Stream.of(src, dst).filter(s -> s == SimCounters.State.RUNNING).count();
            assertThat(running).as("copies of the guest running").isLessThanOrEqualTo(1);
            if (seen == Outcome.SOURCE_RUNS) assertLogDirtyOff(source);
            if (seen == Outcome.COMPLETED) {
                assertThat(out.verify().pagesDiffering()).as("pages differing").isZero();
                assertThat(sim.counters(destination).pagesPresent()).isEqualTo(PAGES);
            }
            if (dstate == null || dstate == DestinationSession.State.DISCARDED) {
                assertThat(hv.domains()).as("the discarded copy is gone").hasSize(1);
            }
        } finally {
            sim.destroy(source);
            if (destination >= 0) sim.destroy(destination);
        }
    }

    private static Outcome classify(MigrationOutcome out, SimCounters.State src, SimCounters.State dst, int destination) {
        if (out.status() == MigrationOutcome.Status.COMPLETED && dst == SimCounters.State.RUNNING
                && src == SimCounters.State.PAUSED) return Outcome.COMPLETED;
        if (out.status() != MigrationOutcome.Status.COMPLETED && src == SimCounters.State.RUNNING && destination < 0) {
            return Outcome.SOURCE_RUNS;
        }
        if (out.status() == MigrationOutcome.Status.FAILED && src == SimCounters.State.PAUSED) {
            if (dst == SimCounters.State.RUNNING) return Outcome.DESTINATION_RUNS_INTERRUPTED;
            if (destination < 0) return Outcome.NOWHERE;
        }
        throw new AssertionError("an outcome FAILURES.md does not document: " + out.status() + " (" + out.error()
                + "), source " + src + ", destination " + dst);
    }

    /** The destination's session once the closed network has reached it. */
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

    private static void assertLogDirtyOff(int source) {
        DirtyLog log = hv.dirtyLog(source);
        log.enable();                          // fails (EINVAL) if the failed session had left it on
        log.disable();
    }
}
