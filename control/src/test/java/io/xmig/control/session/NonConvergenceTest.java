package io.xmig.control.session;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A guest that dirties memory twice as fast as the link carries it: Xen's policy gives up iterating after 5 rounds and
 * copies the rest with the guest stopped; the downtime limit is never met, so its policy aborts (or stops) at its round
 * cap, as configured. Either way the report says why, and the guest is whole on the side that owns it.
 */
@Timeout(120)
class NonConvergenceTest {
    @org.junit.jupiter.api.AfterAll
    static void noBufferLeaked() {
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    private static final long PAGES = 8192;                       // 32 MiB guest
    private static final String FAST_SWEEP = "sweep:rate=32k,ws=16M";   // 128 MiB/s of dirtying
    private static final long CAP = 64L << 20;                    // over a 64 MiB/s link
    private final XenHypervisor hv = XenHypervisor.open();
    private final GuestSimulator sim = hv.simulator().orElseThrow();

    @AfterEach
    void close() {
        hv.close();
    }

    private LocalMigration.Result migrate(String policy) throws InterruptedException {
        MigrationOptions o = new MigrationOptions(Policies.create(policy), policy, 2, CAP, true, Duration.ofSeconds(20));
        return LocalMigration.migrateNew(hv, PAGES, FAST_SWEEP, 3, o, s -> { });
    }

    @Test
    void xenDefaultStopsAfterFiveIterationsWithALargeFinalCopy() throws Exception {
        LocalMigration.Result r = migrate("xen-default");
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.decision().action()).isEqualTo(Action.STOP_AND_COPY);
            assertThat(o.decision().reason()).contains("5");
            assertThat(o.rounds()).as("5 live rounds and the stop-and-copy").hasSize(6);
            long finalCopy = o.rounds().getLast().pagesSent();
            assertThat(finalCopy).as("pages copied with the guest stopped").isGreaterThan(2000);
            assertThat(o.verify().pagesDiffering()).isZero();
        } finally {
            sim.destroy(r.sourceDomid());
            if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
        }
    }

    @Test
    void downtimeLimitAbortsAtItsCapAndTheGuestRunsOnAtTheSource() throws Exception {
        LocalMigration.Result r = migrate("downtime-limit:limit=50ms,max-rounds=4,on-cap=abort");
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).isEqualTo(MigrationOutcome.Status.ABORTED);
            assertThat(o.decision().action()).isEqualTo(Action.ABORT);
            assertThat(o.decision().reason()).contains("4");
            assertThat(r.destinationDomid()).as("the destination discarded its copy").isNegative();
            assertThat(hv.domains()).as("only the source is left").hasSize(1);

            SimCounters c = sim.counters(r.sourceDomid());
            assertThat(c.state()).isEqualTo(SimCounters.State.RUNNING);
            Thread.sleep(50);
            assertThat(sim.counters(r.sourceDomid()).writes()).as("the source guest keeps writing").isGreaterThan(c.writes());
            DirtyLog log = hv.dirtyLog(r.sourceDomid());
            log.enable();                                        // would be EINVAL if the session had left log-dirty on
            log.disable();
        } finally {
            sim.destroy(r.sourceDomid());
        }
    }

    @Test
    void downtimeLimitWithOnCapStopStopsAnywayAndSaysSo() throws Exception {
        LocalMigration.Result r = migrate("downtime-limit:limit=50ms,max-rounds=3,on-cap=stop");
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.decision().action()).isEqualTo(Action.STOP_AND_COPY);
            assertThat(o.decisionRound()).as("decided after the third live round (0, 1, 2)").isEqualTo(2);
            assertThat(o.rounds()).as("3 live rounds and the stop-and-copy").hasSize(4);
            assertThat(o.decision().reason()).containsIgnoringCase("cap");
            assertThat(o.verify().pagesDiffering()).isZero();
        } finally {
            sim.destroy(r.sourceDomid());
            if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
        }
    }
}
