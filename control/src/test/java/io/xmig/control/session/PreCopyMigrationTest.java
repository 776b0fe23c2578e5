package io.xmig.control.session;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
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
 * Given a simulated guest running any workload, when it is migrated with pre-copy under either baseline policy at a
 * bandwidth it can converge under, then the destination's memory equals the source's at the pause point, page by
 * page, and the guest goes on running on the destination.
 */
@Timeout(300)
class PreCopyMigrationTest {
    @org.junit.jupiter.api.AfterAll
    static void noBufferLeaked() {
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    private static final long PAGES = 16384;                      // 64 MiB
    @TempDir
    static Path tmp;
    private static Path trace;
    private static XenHypervisor hv;

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
        return EveryWorkload.crossedWith("xen-default", "downtime-limit");
    }

    @ParameterizedTest(name = "{0} with {1}")
    @MethodSource("workloadsAndPolicies")
    void theDestinationEqualsTheSourceAndTheGuestRunsOn(String workload, String policy) throws Exception {
        String spec = workload.replace("TRACE", trace.toString());
        GuestSimulator sim = hv.simulator().orElseThrow();
        MigrationOptions options = new MigrationOptions(Policies.create(policy), policy, 2, 256L << 20, true, Duration.ofSeconds(20));
        LocalMigration.Result r = LocalMigration.migrateNew(hv, PAGES, spec, 7, options, s -> { });
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).as("%s: %s", o.error(), o.decision()).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.decision().action()).isEqualTo(Action.STOP_AND_COPY);
            assertThat(o.verify().pagesChecked()).isEqualTo(PAGES);
            assertThat(o.verify().pagesDiffering()).as("pages that differ after migration").isZero();
            assertThat(o.pagesSent()).isGreaterThanOrEqualTo(PAGES);
            assertThat(o.downtimeNanos()).isPositive();
            assertThat(sim.counters(r.sourceDomid()).state()).as("the source stays stopped").isEqualTo(SimCounters.State.PAUSED);

            SimCounters resumed = sim.counters(r.destinationDomid());
            assertThat(resumed.state()).isEqualTo(SimCounters.State.RUNNING);
            Thread.sleep(60);
            SimCounters later = sim.counters(r.destinationDomid());
            assertThat(later.runNs()).as("guest time advances on the destination").isGreaterThan(resumed.runNs());
            if (!workload.equals("idle")) {
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (sim.counters(r.destinationDomid()).steps() == resumed.steps() && System.nanoTime() < deadline) Thread.sleep(10);
                assertThat(sim.counters(r.destinationDomid()).steps()).as("the workload goes on at the destination")
                        .isGreaterThan(resumed.steps());
            }
        } finally {
            sim.destroy(r.sourceDomid());
            if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
        }
        assertThat(hv.domains()).as("no domain left behind").isEmpty();
    }
}
