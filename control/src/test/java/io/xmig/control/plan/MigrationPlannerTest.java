package io.xmig.control.plan;

import io.xmig.control.policy.Forecast;
import io.xmig.control.policy.Policies;
import io.xmig.predictor.HorizonForecast;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The planner runs the real policies against the model: hand-made guests whose answers can be worked out by hand. */
class MigrationPlannerTest {
    static final long GUEST = 131_072;                              // 512 MiB
    static final double LINK = 100.0 * (1 << 20);                   // 100 MiB/s: 25,600 pages/s

    static PlanInputs inputs(double[] rate, long workingSet, long zeroPages) {
        return new PlanInputs(GUEST, zeroPages, 4096, LINK,
                new Forecast("test", new HorizonForecast(0, 250, rate, new double[rate.length]), workingSet), 0.005);
    }

    static double[] flat(double r) {
        double[] d = new double[20];
        java.util.Arrays.fill(d, r);
        return d;
    }

    @Test
    void anIdleGuestIsOnePassForEveryPrecopyPolicy() {
        PlanInputs in = inputs(flat(0), 1, 0);
        for (String p : new String[]{"xen-default", "downtime-limit", "hybrid-threshold", "predictive"}) {
            MigrationPlanner.Prediction pr = MigrationPlanner.predict(Policies.create(p), p, in);
            assertThat(pr.ending()).as(p).isEqualTo("stop_and_copy");
            assertThat(pr.liveRounds()).as(p).isEqualTo(1);
            assertThat(pr.downtimeMs()).as(p).isLessThan(10);
            // 131,072 pages at 25,600 pages/s: 5.12 s, plus overheads
            assertThat(pr.totalMs()).as(p).isBetween(5_120.0, 5_200.0);
            assertThat(pr.bytes()).as(p).isBetween(GUEST * 4096, GUEST * 4100);
        }
    }

    @Test
    void postcopyOnlySendsTheGuestOnceAndFaultsOnItsWorkingSet() {
        PlanInputs in = inputs(flat(20_000), 20_000, 65_536);
        MigrationPlanner.Prediction pr = MigrationPlanner.predict(Policies.create("postcopy-only"), "postcopy-only", in);
        assertThat(pr.ending()).isEqualTo("start_postcopy");
        assertThat(pr.liveRounds()).isZero();
        assertThat(pr.bytes()).as("half the pages are zero flags").isLessThan(GUEST * 4096 / 2 + GUEST * 8);
        assertThat(pr.remoteFaults()).isPositive().isLessThanOrEqualTo(20_000);
        assertThat(pr.downtimeMs()).isEqualTo(5.0);
    }

    @Test
    void aGuestFasterThanTheLinkNeverConvergesWithXenDefault() {
        PlanInputs in = inputs(flat(60_000), 60_000, 0);
        MigrationPlanner.Prediction xen = MigrationPlanner.predict(Policies.create("xen-default"), "xen-default", in);
        assertThat(xen.ending()).isEqualTo("stop_and_copy");
        assertThat(xen.liveRounds()).as("Xen's 5-iteration cap").isEqualTo(5);
        assertThat(xen.downtimeMs()).as("a large final copy").isGreaterThan(1_000);
        MigrationPlanner.Prediction pred = MigrationPlanner.predict(Policies.create("predictive"), "predictive", in);
        assertThat(pred.ending()).isEqualTo("start_postcopy");
        assertThat(pred.bytes()).isLessThan(xen.bytes());
    }

    @Test
    void aBurstNowWithAQuietSpellAheadAdvisesWaiting() {
        double[] rate = flat(300);
        for (int i = 0; i < 6; i++) rate[i] = 80_000;                // 1.5 s of burst, then quiet
        PlanInputs in = new PlanInputs(8_192, 0, 4096, LINK,
                new Forecast("test", new HorizonForecast(0, 250, rate, new double[20]), 8_000), 0.005);
        MigrationPlanner.StartAdvice a = MigrationPlanner.whenToStart(Policies.create("downtime-limit"), "downtime-limit", in);
        assertThat(a.startInSeconds()).isGreaterThan(0);
        assertThat(a.best().downtimeMs()).isLessThan(a.now().downtimeMs());
        // with the same quiet rate all along there is nothing to wait for
        PlanInputs quiet = new PlanInputs(8_192, 0, 4096, LINK,
                new Forecast("test", new HorizonForecast(0, 250, flat(300), new double[20]), 8_000), 0.005);
        assertThat(MigrationPlanner.whenToStart(Policies.create("downtime-limit"), "downtime-limit", quiet).startInSeconds()).isZero();
    }

    @Test
    void badInputsAreNamed() {
        assertThatThrownBy(() -> new PlanInputs(10, 0, 4096, 0, inputs(flat(0), 1, 0).forecast(), 0))
                .hasMessageContaining("--bandwidth");
        assertThatThrownBy(() -> new PlanInputs(10, 11, 4096, LINK, inputs(flat(0), 1, 0).forecast(), 0))
                .hasMessageContaining("zero pages");
    }
}
