package io.xmig.control.session;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Post-copy and the hybrid: the guest resumes at the destination with pages missing, which arrive on demand (faults on
 * the priority connection) and by the background push. The check cannot be fooled by the guest's own writes after it
 * resumed: the destination reports the pages its guest wrote since then (paused at the end), and every other page must
 * equal the source's, paused since the switch.
 */
@Timeout(300)
class PostcopyMigrationTest {
    private static final long PAGES = 16384;                      // 64 MiB
    @TempDir
    static Path tmp;
    private static Path trace;
    private static XenHypervisor hv;

    @org.junit.jupiter.api.AfterAll
    static void noBufferLeaked() {
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    @BeforeAll
    static void setUp() throws Exception {
        trace = EveryWorkload.writeTrace(tmp);
        hv = XenHypervisor.open();
    }

    @AfterAll
    static void tearDown() {
        hv.close();
    }

    static Stream<Arguments> workloadsAndPolicies() {
        return EveryWorkload.crossedWith("postcopy-only", "postcopy-after-first-pass");
    }

    private static LocalMigration.Result migrate(String workload, String policy, long pages, long bandwidth) throws InterruptedException {
        MigrationOptions o = new MigrationOptions(Policies.create(policy), policy, 2, bandwidth, true, Duration.ofSeconds(20));
        return LocalMigration.migrateNew(hv, pages, workload, 11, o, s -> { });
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("workloadsAndPolicies")
    void everyPageArrivesAndTheGuestRunsOnAtTheDestination(String workload, String policy) throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        LocalMigration.Result r = migrate(workload.replace("TRACE", trace.toString()), policy, PAGES, 256L << 20);
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).as(String.valueOf(o.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.decision().action()).isIn(Action.START_POSTCOPY, Action.STOP_AND_COPY);
            if (policy.equals("postcopy-only")) {
                assertThat(o.decision().action()).isEqualTo(Action.START_POSTCOPY);
                assertThat(o.postcopy().switchRound()).as("switched before any round").isEqualTo(-1);
                assertThat(o.postcopy().missingAtResume()).isEqualTo(PAGES);
            }
            if (o.postcopy() != null) {
                MigrationOutcome.Postcopy pc = o.postcopy();
                assertThat(pc.pagesPushed() + pc.pagesPulled()).as("pages installed after the switch")
                        .isEqualTo(pc.missingAtResume());
            }
            assertThat(o.verify().pagesDiffering()).as("pages that differ, among those the guest did not rewrite").isZero();
            assertThat(o.verify().pagesChecked()).as("pages compared").isPositive();

            SimCounters c = sim.counters(r.destinationDomid());
            assertThat(c.state()).isEqualTo(SimCounters.State.RUNNING);
            assertThat(c.pagesPresent()).isEqualTo(PAGES);
            Thread.sleep(60);
            assertThat(sim.counters(r.destinationDomid()).runNs()).as("the guest runs on").isGreaterThan(c.runNs());
            assertThat(sim.counters(r.sourceDomid()).state()).as("the source stays stopped").isEqualTo(SimCounters.State.PAUSED);
        } finally {
            sim.destroy(r.sourceDomid());
            if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
        }
        assertThat(hv.domains()).as("no domain left behind").isEmpty();
    }

    /**
     * A sweep twice as fast as the link: pre-copy never converges (the downtime limit is never met); the hybrid policy
     * flips to post-copy after two non-converging rounds, sending little more than the guest once, with a short pause.
     */
    @Test
    void hybridThresholdFinishesWhatPreCopyCannot() throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        LocalMigration.Result r = migrate("sweep:rate=32k,ws=3M", "hybrid-threshold:limit=20ms", PAGES, 64L << 20);
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).as(String.valueOf(o.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.decision().action()).isEqualTo(Action.START_POSTCOPY);
            assertThat(o.decision().reason()).contains("stopped converging");
            assertThat((double) o.bytesSent() / (PAGES * 4096)).as("bytes sent / guest memory").isLessThanOrEqualTo(1.2);
            assertThat(o.downtimeNanos() / 1e6).as("downtime ms (source pause to destination resume)").isLessThan(50);
            assertThat(o.verify().pagesDiffering()).isZero();
        } finally {
            sim.destroy(r.sourceDomid());
            if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
        }
    }

    /** An operator tells a migration that would iterate to Xen's cap to flip to post-copy now: it does, and completes. */
    @Test
    void aManualSwitchFlipsARunningMigrationToPostcopy() throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        MigrationOptions o = new MigrationOptions(Policies.create("xen-default"), "xen-default", 2, 32L << 20, true,
                Duration.ofSeconds(20));
        LocalMigration.Result r = LocalMigration.migrateNew(hv, PAGES, "sweep:rate=32k,ws=8M", 12, o, s -> { },
                session -> Thread.ofPlatform().daemon().start(() -> {
                    try {
                        Thread.sleep(800);                       // during round 0 (64 MiB at 32 MiB/s: 2 s)
                    } catch (InterruptedException ignored) {
                        return;
                    }
                    session.requestSwitch(Action.START_POSTCOPY, "test");
                }));
        try {
            MigrationOutcome out = r.outcome();
            assertThat(out.status()).as(String.valueOf(out.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(out.decision().action()).isEqualTo(Action.START_POSTCOPY);
            assertThat(out.decision().reason()).contains("requested by the operator");
            assertThat(out.decisionRound()).as("at the end of the round it was asked in").isEqualTo(0);
            assertThat(out.verify().pagesDiffering()).isZero();
        } finally {
            sim.destroy(r.sourceDomid());
            if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
        }
    }
}
