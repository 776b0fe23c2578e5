package io.xmig.control.session;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.faults.FaultProxy;
import io.xmig.control.faults.FaultProxy.Fault;
import io.xmig.control.faults.FaultProxy.Kind;
import io.xmig.control.faults.FaultProxy.Phase;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The other end's process dies at each phase ({@link FaultProxy} holds the phase's first frame and kills it): the
 * destination agent ({@code xmig agent} in its own JVM) under a source in this process, and the source
 * ({@code xmig migrate} in its own JVM) in front of an agent in this process. Checked against docs/FAILURES.md: before
 * the switch or RESUME the surviving source runs its guest (log-dirty off) and a surviving agent discards its copy;
 * after them a surviving source stays paused and a surviving agent keeps the guest running (interrupted post-copy);
 * never two running copies.
 */
@Timeout(300)
class ProcessKillTest {
    private static final long PAGES = 4096;
    private static XenHypervisor hv;

    @BeforeAll
    static void open() {
        hv = XenHypervisor.open();
    }

    @AfterAll
    static void close() {
        hv.close();
    }

    private static String policyFor(Phase p) {
        return p == Phase.SWITCH || p == Phase.POSTCOPY ? "postcopy-only" : "xen-default";
    }

    /** Whether the phase comes after the destination may run the guest (POSTCOPY_START or RESUME sent). */
    private static boolean guestMayBeAtTheDestination(Phase p) {
        return p == Phase.SWITCH || p == Phase.POSTCOPY || p == Phase.COMPLETION;
    }

    private static Fault kill(Phase p) {
        return new Fault(Kind.KILL, p, p == Phase.PRECOPY_ROUND ? 1 : 0);
    }

    /** Every phase with -Dxmig.reliability.full=true; by default one before and one after the switch (each case
     *  starts a JVM: the whole set takes about a minute). */
    static Stream<Phase> phases() {
        return Boolean.getBoolean("xmig.reliability.full") ? Stream.of(Phase.values())
                : Stream.of(Phase.PRECOPY_ROUND, Phase.POSTCOPY);
    }

    @ParameterizedTest(name = "destination killed at {0}")
    @MethodSource("phases")
    void aDestinationAgentKilledAtAnyPhase(Phase phase) throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        int source = sim.createDomain(PAGES, "sweep:rate=20k,ws=12M", 9);
        try (AgentProcess agent = new AgentProcess();
             FaultProxy proxy = new FaultProxy(agent.address(), kill(phase), () -> {
                 try {
                     agent.kill();
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
             })) {
            String policy = policyFor(phase);
            MigrationOptions o = new MigrationOptions(Policies.create(policy), policy, 2, 64L << 20, true,
                    Duration.ofSeconds(2), Duration.ofSeconds(2));
            MigrationOutcome out = new MigrationSession(hv, source, proxy.address(), o,
                    t -> new HashVerifier(hv.memory(source), t, o.peerTimeout()), s -> { }).run();
            assertThat(proxy.triggered()).as("killed at %s (%s)", phase, out.error()).isTrue();
            assertThat(out.status()).isEqualTo(MigrationOutcome.Status.FAILED);
            SimCounters.State src = sim.counters(source).state();
            System.out.printf("process kill: destination at %-14s -> source %s: %s%n", phase, src, out.error());
            if (guestMayBeAtTheDestination(phase)) {
                // the source cannot know whether the destination ran the guest before dying: it stays paused
                assertThat(src).isEqualTo(SimCounters.State.PAUSED);
            } else {
                assertThat(src).isEqualTo(SimCounters.State.RUNNING);
                DirtyLog log = hv.dirtyLog(source);
                log.enable();                                 // EINVAL if the failed session had left it on
                log.disable();
            }
        } finally {
            sim.destroy(source);
        }
    }

    @ParameterizedTest(name = "source killed at {0}")
    @MethodSource("phases")
    void aSourceProcessKilledAtAnyPhase(Phase phase) throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        Process[] migrate = new Process[1];
        try (MigrationAgent agent = new MigrationAgent(hv, 3, arrived::complete).listen(new InetSocketAddress("127.0.0.1", 0));
             FaultProxy proxy = new FaultProxy(agent.address(), kill(phase), () -> {
                 try {
                     migrate[0].destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
             })) {
            migrate[0] = AgentProcess.xmig("migrate", "--to", "127.0.0.1:" + proxy.address().getPort(), "--mem", "16M",
                    "--workload", "sweep:rate=20k,ws=12M", "--policy", policyFor(phase), "--bandwidth", "64MiB",
                    "--timeout", "5s", "--quiet");
            String output = new String(migrate[0].getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(migrate[0].waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(proxy.triggered()).as("killed at %s: %s", phase, output).isTrue();
            DestinationSession ds = arrived.getNow(null);
            DestinationSession.State st = ds == null ? null : settle(ds);
            System.out.printf("process kill: source at %-14s -> destination %s%n", phase, st);
            if (phase == Phase.POSTCOPY || (phase == Phase.COMPLETION && policyFor(phase).startsWith("postcopy"))) {
                assertThat(st).isEqualTo(DestinationSession.State.POSTCOPY_INTERRUPTED);
                assertThat(sim.counters(ds.domid()).state()).as("the only copy left runs on").isEqualTo(SimCounters.State.RUNNING);
                sim.destroy(ds.domid());
            } else {
                // before POSTCOPY_START or RESUME arrived the agent's copy never ran: discarded, nothing left here
                assertThat(st).isIn(null, DestinationSession.State.DISCARDED);
                assertThat(hv.domains()).as("domains left at the agent").isEmpty();
            }
        } finally {
            if (migrate[0] != null) migrate[0].destroyForcibly();
        }
    }

    private static DestinationSession.State settle(DestinationSession ds) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ds.state() != DestinationSession.State.DISCARDED && ds.state() != DestinationSession.State.POSTCOPY_INTERRUPTED
                && ds.state() != DestinationSession.State.RESUMED && System.nanoTime() < end) Thread.sleep(20);
        return ds.state();
    }
}
