package io.xmig.control.faults;

import io.xmig.control.faults.FaultProxy.Fault;
import io.xmig.control.faults.FaultProxy.Kind;
import io.xmig.control.faults.FaultProxy.Phase;
import io.xmig.control.faults.FaultedMigration.Result;
import io.xmig.control.faults.FaultedMigration.Where;
import io.xmig.control.policy.Policies;
import io.xmig.control.session.MigrationOptions;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every network fault at every phase of a migration ({@link FaultProxy} between the source and an agent in this
 * process), each checked against the outcome docs/FAILURES.md documents for it ({@link FaultedMigration#documented}),
 * and against the invariant that the guest runs on at most one side, and on exactly one except in the windows
 * FAILURES.md names (after RESUME or POSTCOPY_START was sent and lost: the source stays paused, "nowhere"). Pre-copy
 * phases run under xen-default, the post-copy ones under postcopy-only. The table is in docs/RELIABILITY.md.
 */
@Timeout(600)
class FaultMatrixTest {
    private static final long PAGES = 4096;                                   // 16 MiB
    private static XenHypervisor hv;

    @BeforeAll
    static void open() {
        hv = XenHypervisor.open();
    }

    @AfterAll
    static void closeAll() {
        hv.close();
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    static Stream<Arguments> faults() {
        Kind[] network = Arrays.stream(Kind.values()).filter(k -> k != Kind.KILL).toArray(Kind[]::new);
        return Arrays.stream(Phase.values()).flatMap(p -> Arrays.stream(network)
                .map(k -> Arguments.of(new Fault(k, p, p == Phase.PRECOPY_ROUND ? 1 : 0))));
    }

    static String policyFor(Phase p) {
        return p == Phase.SWITCH || p == Phase.POSTCOPY ? "postcopy-only" : "xen-default";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faults")
    void theOutcomeIsTheDocumentedOneAndTheGuestRunsOnOneSideAtMost(Fault fault) throws Exception {
        String policy = policyFor(fault.phase());
        MigrationOptions o = new MigrationOptions(Policies.create(policy), policy, 2, 64L << 20, true,
                Duration.ofSeconds(2), Duration.ofSeconds(3));
        Result r = FaultedMigration.run(hv, PAGES, "sweep:rate=20k,ws=12M", 3, o, fault);
        System.out.printf("fault matrix: %-28s -> %-28s %s; source %s, destination %s (%s)%n", fault, r.where(),
                r.outcome().status(), r.source(), r.destination(), r.session());
        assertThat(r.faultInjected()).as("the fault was injected (%s)", r.outcome().error()).isTrue();
        assertThat(r.where()).as("%s: %s, %s; source %s, destination %s (%s)", fault, r.outcome().status(),
                r.outcome().error(), r.source(), r.destination(), r.session()).isIn(r.documented());
        assertThat(r.copiesRunning()).as("copies of the guest running").isLessThanOrEqualTo(1);
        assertThat(r.logDirtyOff()).as("log-dirty off on a source left running").isTrue();
        if (r.where() == Where.COMPLETED) {
            // pre-copy compares every page; post-copy every page the destination's guest has not written since
            if (r.postcopy()) assertThat(r.outcome().verify().pagesChecked()).isPositive();
            else assertThat(r.outcome().verify().pagesChecked()).isEqualTo(PAGES);
        }
    }
}
