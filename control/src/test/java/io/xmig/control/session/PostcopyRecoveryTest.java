package io.xmig.control.session;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.policy.Action;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The network fails during post-copy, with the guest already running at the destination: both sides keep their
 * state, the source reconnects, the destination says what it still lacks, and the migration completes with no page
 * lost. A failure that never heals ends explicitly, with the guest running on the destination only.
 */
@Timeout(120)
class PostcopyRecoveryTest {
    private static final long PAGES = 16384;
    private final XenHypervisor hv = XenHypervisor.open();
    private final GuestSimulator sim = hv.simulator().orElseThrow();

    @AfterEach
    void close() {
        hv.close();
    }

    private record Run(MigrationOutcome outcome, int destination) {}

    private Run migrateThroughACut(boolean heal, Duration reconnect) throws Exception {
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        try (MigrationAgent agent = new MigrationAgent(hv, 3, arrived::complete).listen(new InetSocketAddress("127.0.0.1", 0));
             CuttingProxy proxy = new CuttingProxy(agent.address())) {
            int source = sim.createDomain(PAGES, "sweep:rate=20k,ws=48M", 21);
            try {
                CountDownLatch resumedThere = new CountDownLatch(1);
                MigrationOptions o = new MigrationOptions(Policies.create("postcopy-only"), "postcopy-only", 2,
                        16L << 20, true, Duration.ofSeconds(10), reconnect);     // 64 MiB at 16 MiB/s: 4 s of push
                MigrationSession session = new MigrationSession(hv, source, proxy.address(), o,
                        t -> new DirectVerifier(hv, source, () -> arrived.join().domid()),
                        line -> { if (line.startsWith("post-copy: guest resumed")) resumedThere.countDown(); });
                CompletableFuture<MigrationOutcome> run = CompletableFuture.supplyAsync(() -> {
                    try {
                        return session.run();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                assertThat(resumedThere.await(20, TimeUnit.SECONDS)).as("the switch happened").isTrue();
                Thread.sleep(500);                                // mid-push, faults in flight
                proxy.cut(true);
                SimCounters blocked = sim.counters(arrived.join().domid());
                Thread.sleep(700);                                // both sides notice, keep their state
                if (heal) proxy.heal();
                MigrationOutcome out = run.get(60, TimeUnit.SECONDS);
                assertThat(sim.counters(source).state()).as("the source never runs the guest again").isEqualTo(SimCounters.State.PAUSED);
                assertThat(blocked.pagesPresent()).as("the cut came before every page was in").isLessThan(PAGES);
                return new Run(out, arrived.join().domid());
            } finally {
                sim.destroy(source);
            }
        }
    }

    @Test
    void aCutDuringPostcopyHealsAndTheMigrationCompletesWithNothingLost() throws Exception {
        Run r = migrateThroughACut(true, Duration.ofSeconds(20));
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).as(String.valueOf(o.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.decision().action()).isEqualTo(Action.START_POSTCOPY);
            assertThat(o.verify().pagesDiffering()).as("pages that differ after the recovered post-copy").isZero();
            assertThat(o.verify().pagesChecked()).isPositive();
            SimCounters c = sim.counters(r.destination());
            assertThat(c.pagesPresent()).isEqualTo(PAGES);
            assertThat(c.state()).isEqualTo(SimCounters.State.RUNNING);
        } finally {
            sim.destroy(r.destination());
        }
    }

    @Test
    void aCutThatNeverHealsEndsExplicitlyWithTheGuestOnTheDestinationOnly() throws Exception {
        Run r = migrateThroughACut(false, Duration.ofSeconds(2));
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).isEqualTo(MigrationOutcome.Status.FAILED);
            assertThat(o.error()).contains("not recovered within").contains("runs at the destination");
            SimCounters c = sim.counters(r.destination());
            assertThat(c.state()).as("the destination keeps the guest, the only running copy").isEqualTo(SimCounters.State.RUNNING);
        } finally {
            sim.destroy(r.destination());
        }
    }
}
