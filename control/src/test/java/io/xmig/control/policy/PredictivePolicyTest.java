package io.xmig.control.policy;

import io.xmig.predictor.HorizonForecast;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The predictive policy on hand-made situations: a 512 MiB guest whose full pass took 5.12 s (a link of 25,600
 * pages/s, 100 MiB/s), 20,000 pages dirty after it (781 ms to stop and copy, over the 300 ms limit), and forecasts that
 * say what happens next.
 */
class PredictivePolicyTest {
    static final long GUEST = 131_072;
    static final long LINK_NANOS = 5_120_000_000L;            // round 0: GUEST pages in 5.12 s
    static final long WS = 60_000;

    /** 250 ms steps, 20 of them: {@code first} pages/s for {@code firstSteps} steps, then {@code then}. */
    static Forecast forecast(String name, double first, int firstSteps, double then) {
        double[] d = new double[20], c = new double[20];
        for (int i = 0; i < 20; i++) d[i] = i < firstSteps ? first : then;
        return new Forecast(name, new HorizonForecast(0, 250, d, c), WS);
    }

    static List<RoundStats> afterRoundZero(long dirtied, Forecast f) {
        long bytes = GUEST * Rounds.PAGE;
        return List.of(new RoundStats(0, GUEST, 0, bytes, dirtied, LINK_NANOS, LINK_NANOS,
                RoundStats.bytesPerSecond(bytes, LINK_NANOS), dirtied * Rounds.PAGE, GUEST, Rounds.PAGE, 0, Optional.ofNullable(f)));
    }

    @Test
    void aRateAboutToDropWaitsARound() {
        // 40k pages/s now, beyond the link; the forecast says it falls to 500/s in half a second
        Decision d = Rounds.decide(new PredictivePolicy(), afterRoundZero(20_000, forecast("test", 40_000, 2, 500)));
        assertThat(d.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(d.reason()).startsWith("wait:").contains("after 2 more rounds");
        // the same moment with a flat forecast at today's rate: the dirty set grows, so waiting does not pay
        Decision flat = Rounds.decide(new PredictivePolicy(), afterRoundZero(20_000, forecast("flat", 40_000, 20, 40_000)));
        assertThat(flat.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(flat.reason()).contains("outruns the link");
    }

    @Test
    void aRateAboutToRiseBeyondTheLinkFlipsNow() {
        // 10k pages/s now (pre-copy would converge); the forecast says 60k/s from the next interval on
        Decision d = Rounds.decide(new PredictivePolicy(), afterRoundZero(20_000, forecast("test", 10_000, 1, 60_000)));
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).contains("outruns the link").contains("20,000");
        // a flat 10k/s: two more rounds bring the final copy under the limit
        Decision flat = Rounds.decide(new PredictivePolicy(), afterRoundZero(20_000, forecast("flat", 10_000, 20, 10_000)));
        assertThat(flat.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(flat.reason()).startsWith("wait:");
    }

    @Test
    void stopsAtOnceWhenTheFinalCopyAlreadyFits() {
        Decision d = Rounds.decide(new PredictivePolicy(), afterRoundZero(5_000, forecast("test", 60_000, 20, 60_000)));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        Estimate now = d.estimates().stream().filter(e -> e.action() == Action.STOP_AND_COPY && e.extraRounds() == 0)
                .findFirst().orElseThrow();
        // 5,000 pages at 25,600 pages/s plus 5 ms
        assertThat(now.downtimeMs()).isBetween(199.0, 201.0);
        assertThat(now.meetsTarget()).isTrue();
        assertThat(now.remoteFaults()).isZero();
    }

    @Test
    void withoutPostcopyItStopsWhenWaitingCannotShortenTheDowntime() {
        PredictivePolicy noPostcopy = (PredictivePolicy) Policies.create("predictive:postcopy=no");
        Decision rising = Rounds.decide(noPostcopy, afterRoundZero(20_000, forecast("test", 10_000, 1, 60_000)));
        assertThat(rising.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(rising.estimates()).noneMatch(e -> e.action() == Action.START_POSTCOPY);
    }

    @Test
    void atTheRoundCapItFlips() {
        List<RoundStats> h = new ArrayList<>(afterRoundZero(20_000, forecast("test", 40_000, 20, 40_000)));
        PredictivePolicy capped = new PredictivePolicy(300_000_000L, true, 1, 5, 0.3, 5_000_000L);
        Decision d = Rounds.decide(capped, h);
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).contains("max-rounds=1");
    }

    @Test
    void withoutAForecastItAssumesTheLastRoundsRateAndSaysSo() {
        Decision d = Rounds.decide(new PredictivePolicy(), afterRoundZero(20_000, null));
        assertThat(d.reason()).contains("round-rate (no forecaster)");
        assertThat(d.estimates()).isNotEmpty();
    }

    @Test
    void theModelIsGeometricWhenNothingSaturates() {
        // flat r = B/2 on a huge working set: each round halves the dirty set
        Forecast f = new Forecast("flat", HorizonForecast.flat(0, 250, 20, 12_800, 0), 0);
        PrecopyModel m = new PrecopyModel(f, 1e12, 25_600, 4096, 0, Long.MAX_VALUE);
        List<PrecopyModel.Point> p = m.project(20_000, 3, 60);
        assertThat(p.get(1).dirtyPages()).isCloseTo(10_000, org.assertj.core.data.Offset.offset(1.0));
        assertThat(p.get(3).dirtyPages()).isCloseTo(2_500, org.assertj.core.data.Offset.offset(1.0));
    }

    /** Round {@code r} sent {@code sent} pages in their link time and the CLEAN after it reported {@code dirtied}. */
    static RoundStats round(int r, long sent, long dirtied, Forecast f, long elapsed) {
        long nanos = Math.max(1, sent * LINK_NANOS / GUEST);
        return new RoundStats(r, sent, 0, sent * Rounds.PAGE, dirtied, nanos, elapsed, RoundStats.bytesPerSecond(sent * Rounds.PAGE, nanos),
                dirtied * Rounds.PAGE, GUEST, Rounds.PAGE, 0, Optional.ofNullable(f));
    }

    @Test
    void aSequentialWriterThatReDirtiesEverythingFlipsOnTheEvidence() {
        // a sweep of 16,000 pages at 25,000 pages/s over a 25,600 pages/s link: the model's uniform-writes curve says
        // one more round shrinks the dirty set, but round 1 dirtied all it sent
        Forecast f = new Forecast("flat", HorizonForecast.flat(0, 250, 20, 25_000, 0), 16_000);
        List<RoundStats> h = new ArrayList<>(afterRoundZero(16_000, f));
        Decision first = Rounds.decide(new PredictivePolicy(), h);
        assertThat(first.action()).as(first.reason()).isEqualTo(Action.CONTINUE_PRECOPY);
        h.add(round(1, 16_000, 16_000, f, LINK_NANOS + 625_000_000L));
        Decision second = Rounds.decide(new PredictivePolicy(), h);
        assertThat(second.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(second.reason()).contains("did not converge").contains("round 1 sent 16,000 pages and 16,000 were dirtied");
    }

    @Test
    void aQuietSpellThatNeverComesIsWaitedForOnlyPatienceRounds() {
        // every forecast promises a drop to 500/s; the guest keeps dirtying all it is sent
        Forecast promise = forecast("test", 40_000, 2, 500);
        List<RoundStats> h = new ArrayList<>(afterRoundZero(20_000, promise));
        long t = LINK_NANOS;
        for (int r = 1; r <= 3; r++) {
            Decision d = Rounds.decide(new PredictivePolicy(), h);
            if (r == 1) assertThat(d.action()).isEqualTo(Action.CONTINUE_PRECOPY);
            t += 800_000_000L;
            h.add(round(r, 20_000, 20_000, promise, t));
        }
        Decision d = Rounds.decide(new PredictivePolicy(), h);
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).contains("the last 3 rounds did not converge");
        PredictivePolicy noPostcopy = (PredictivePolicy) Policies.create("predictive:postcopy=no,patience=2");
        assertThat(Rounds.decide(noPostcopy, h).action()).isEqualTo(Action.STOP_AND_COPY);
    }

    @Test
    void specsAreParsedAndBadOnesNamed() {
        assertThat(Policies.create("predictive:limit=50ms,postcopy=no,lookahead=3,gain=0.5,overhead=2ms").toString())
                .isEqualTo("predictive:limit=50ms,postcopy=no,max-rounds=30,lookahead=3,gain=0.5,overhead=2ms,patience=3");
        assertThatThrownBy(() -> Policies.create("predictive:postcopy=maybe")).hasMessageContaining("expected yes or no");
        assertThatThrownBy(() -> Policies.create("predictive:gain=2")).hasMessageContaining("fraction from 0 to 1");
        assertThatThrownBy(() -> Policies.create("predictive:lookahead=99")).hasMessageContaining("1 to 30");
    }
}
