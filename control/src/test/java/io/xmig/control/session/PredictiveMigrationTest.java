package io.xmig.control.session;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Decision;
import io.xmig.control.policy.Policies;
import io.xmig.control.policy.RoundStats;
import io.xmig.control.telemetry.ForecastFeed;
import io.xmig.control.telemetry.ForecastSources;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.telemetry.TelemetryTrace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The predictive policy in a real migration: a forecast feed samples the running source guest (the simulator's
 * written-pages record, its vCPU time) on its own thread, the session hands each round's policy the latest forecast,
 * and the outcome keeps every decision with the forecast it was made on. Memory is verified page by page.
 */
@Timeout(300)
class PredictiveMigrationTest {
    private static final long PAGES = 16384;                                       // 64 MiB
    private static final String PHASED = "phased:rate=20000,quiet=1500ms,burst=1000ms,quiet_rate=300,ws=24M";
    private static XenHypervisor hv;

    @AfterAll
    static void noBufferLeaked() {
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
        hv.close();
    }

    @BeforeAll
    static void setUp() {
        hv = XenHypervisor.open();
    }

    private static MigrationOutcome migrate(String forecaster, TelemetryTrace twin) throws InterruptedException {
        GuestSimulator sim = hv.simulator().orElseThrow();
        MigrationOptions o = new MigrationOptions(Policies.create("predictive:limit=30ms"), "predictive:limit=30ms", 2,
                24L << 20, true, Duration.ofSeconds(20));
        int source = sim.createDomain(PAGES, PHASED, 5);
        int dest = -1;
        try (ForecastFeed feed = ForecastSources.startFeed(hv, source, ForecastSources.choose(forecaster, () -> twin))) {
            assertThat(feed.awaitSamples(4, Duration.ofSeconds(10))).as("the feed samples the guest").isTrue();
            LocalMigration.Result r = LocalMigration.migrate(hv, source, o, s -> { },
                    s -> s.forecasts(feed.forecaster(), feed::latest));
            dest = r.destinationDomid();
            ForecastFeed.Stats st = feed.stats();
            assertThat(st.samples()).isGreaterThanOrEqualTo(4);
            assertThat(st.p99Micros()).isPositive();
            return r.outcome();
        } finally {
            sim.destroy(source);
            if (dest >= 0) sim.destroy(dest);
        }
    }

    private static void checkDecisionsCarryForecasts(MigrationOutcome o, String forecaster) {
        assertThat(o.status()).as(String.valueOf(o.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
        assertThat(o.forecaster()).isEqualTo(forecaster);
        assertThat(o.verify().pagesDiffering()).isZero();
        int live = o.decisions().size();
        assertThat(live).isPositive();
        for (int i = 0; i < live; i++) {
            RoundStats r = o.rounds().get(i);
            Decision d = o.decisionAfter(i);
            assertThat(r.forecast()).as("round %d saw a forecast", i).isPresent();
            assertThat(r.forecast().orElseThrow().forecaster()).isEqualTo(forecaster);
            assertThat(r.forecast().orElseThrow().workingSetPages()).as("working set measured").isPositive();
            assertThat(d.estimates()).as("round %d's decision priced its answers", i).isNotEmpty();
            assertThat(d.reason()).contains("forecast " + forecaster);
        }
        assertThat(o.decisionAfter(live - 1).action()).isNotEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(o.decisionAfter(live)).as("no decision after the final round").isNull();
    }

    @Test
    void theBundledLstmFeedsEveryDecisionAndNothingIsLost() throws Exception {
        MigrationOutcome o = migrate("lstm:bundled", null);
        checkDecisionsCarryForecasts(o, "lstm(bundled)");
        if (o.postcopy() == null) {
            assertThat(o.verify().pagesChecked()).isEqualTo(PAGES);
        }
    }

    @Test
    void aMissingModelFallsBackToEwmaAndTheOutcomeSaysSo() throws Exception {
        ForecastSources.Chosen c = ForecastSources.choose("lstm:/nonexistent/model.zip", () -> null);
        assertThat(c.warning()).hasValueSatisfying(w -> assertThat(w).contains("/nonexistent/model.zip").contains("EWMA"));
        assertThat(c.description()).startsWith("ewma").contains("fallback");
        c.forecaster().close();
    }

    @Test
    void theOracleReadsTheTwinsFuture() throws Exception {
        TelemetryTrace twin = ForecastSources.recordTwin(hv, PAGES, PHASED, 5, 12_000);
        assertThat(twin.size()).isGreaterThanOrEqualTo(40);
        double max = 0, min = Double.MAX_VALUE;
        for (double d : twin.dirty()) { max = Math.max(max, d); min = Math.min(min, d); }
        assertThat(max).as("the twin's bursts").isGreaterThan(5 * Math.max(1, min));
        checkDecisionsCarryForecasts(migrate("oracle", twin), "oracle");
    }
}
