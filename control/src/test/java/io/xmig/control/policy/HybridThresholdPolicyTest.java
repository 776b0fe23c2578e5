package io.xmig.control.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.xmig.control.policy.Rounds.decide;
import static io.xmig.control.policy.Rounds.history;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * hybrid-threshold: after each round, stop-and-copy when the downtime-limit rule is met; post-copy when the last
 * {@code rounds} rounds each dirtied at least {@code share} of the pages they sent, or at the round cap; else go on.
 * In {@link Rounds#history} every round takes one second, so the bandwidth is the round's own size per second and the
 * 300 ms rule is met when at most 0.3 × the pages sent are still dirty.
 */
class HybridThresholdPolicyTest {
    private static final long GUEST = 10_000;
    private static final long MS = 1_000_000L;

    private final HybridThresholdPolicy hybrid = new HybridThresholdPolicy();

    @Test
    void defaults() {
        assertThat(hybrid.share()).isEqualTo(0.8);
        assertThat(hybrid.rounds()).isEqualTo(2);
        assertThat(hybrid.limitNanos()).isEqualTo(300 * MS);
        assertThat(hybrid.maxRounds()).isEqualTo(30);
        assertThat(hybrid.name()).isEqualTo("hybrid-threshold");
        assertThat(hybrid.toString()).isEqualTo("hybrid-threshold:share=0.8,rounds=2,limit=300ms,max-rounds=30");
        assertThat(hybrid.atStart(GUEST, 4096).action()).isEqualTo(Action.CONTINUE_PRECOPY);
    }

    @Test
    void shareExactlyAtTheThresholdDoesNotConverge() {
        // round 0 (the full pass counts): 8,000 of 10,000 = exactly 0.8; round 1: 6,400 of 8,000 = exactly 0.8
        List<RoundStats> h = history(GUEST, 8_000, 6_400);
        Decision first = decide(hybrid, h.subList(0, 1));
        assertThat(first.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(first.reason()).endsWith("round 0: 8,000 dirtied >= 8,000 (0.8 of 10,000 sent), not converging, 1 of 2 rounds in a row");

        Decision d = decide(hybrid, h);
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).isEqualTo("pre-copy stopped converging: 2 rounds in a row (rounds=2) dirtied at least 0.8 of "
                + "the pages sent (round 0: 8,000 dirtied >= 8,000 (0.8 of 10,000 sent); round 1: 6,400 dirtied >= 6,400 "
                + "(0.8 of 8,000 sent)), and expected downtime 800.0 ms > 300.0 ms limit: 26,214,400 bytes (6,400 pages) "
                + "still dirty at 32,768,000 B/s (31.3 MiB/s) measured in round 1");
    }

    @Test
    void onePageBelowTheThresholdConverges() {
        Decision d = decide(hybrid, history(GUEST, 8_000, 6_399));
        assertThat(d.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(d.reason()).endsWith("round 1: 6,399 dirtied < 6,400 (0.8 of 8,000 sent), converging");
    }

    @Test
    void theShareIsComparedInDecimalNotBinary() {
        // 0.07 * 100 is 7.000000000000001 in doubles; 7 dirtied of 100 sent is exactly at a share of 0.07
        HybridThresholdPolicy p = new HybridThresholdPolicy(0.07, 1, 0, 30);
        assertThat(decide(p, history(100, 7)).action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(decide(p, history(100, 6)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
    }

    @Test
    void oneConvergingRoundBreaksTheStreak() {
        // 0: 9,000/10,000 no; 1: 5,000/9,000 converges; 2: 4,500/5,000 no; 3: 4,000/4,500 no -> two in a row
        List<RoundStats> h = history(GUEST, 9_000, 5_000, 4_500, 4_000);
        assertThat(decide(hybrid, h.subList(0, 1)).reason()).endsWith("not converging, 1 of 2 rounds in a row");
        Decision broken = decide(hybrid, h.subList(0, 2));
        assertThat(broken.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(broken.reason()).endsWith("round 1: 5,000 dirtied < 7,200 (0.8 of 9,000 sent), converging");
        Decision again = decide(hybrid, h.subList(0, 3));
        assertThat(again.action()).as("round 0 no longer counts after round 1 converged").isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(again.reason()).endsWith("not converging, 1 of 2 rounds in a row");
        Decision d = decide(hybrid, h);
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).contains("(round 2: 4,500 dirtied >= 4,000 (0.8 of 5,000 sent); round 3: 4,000 dirtied >= 3,600");
    }

    @Test
    void oneRoundSwitchesOnTheFirstNonConvergingRoundEvenRoundZero() {
        HybridThresholdPolicy p = new HybridThresholdPolicy(0.8, 1, 300 * MS, 30);
        Decision d = decide(p, history(GUEST, 8_500));
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).startsWith("pre-copy stopped converging: 1 round in a row (rounds=1) dirtied at least 0.8 "
                + "of the pages sent (round 0: 8,500 dirtied >= 8,000 (0.8 of 10,000 sent))");
    }

    @Test
    void theCapSwitchesToPostcopy() {
        // converging at 0.7 a round, never fast enough for 300 ms (0.3 of a round): the 5th round hits max-rounds=5
        HybridThresholdPolicy p = new HybridThresholdPolicy(0.8, 2, 300 * MS, 5);
        List<RoundStats> h = history(GUEST, 7_000, 4_900, 3_430, 2_401, 1_681);
        for (int r = 0; r < 4; r++) {
            assertThat(decide(p, h.subList(0, r + 1)).action()).as("after round %d", r).isEqualTo(Action.CONTINUE_PRECOPY);
        }
        Decision d = decide(p, h);
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).startsWith("5 rounds reached (max-rounds=5) without meeting the downtime limit: expected "
                + "downtime 700.1 ms > 300.0 ms limit").endsWith("; round 4: 1,681 dirtied < 1,920.8 (0.8 of 2,401 sent)");
    }

    @Test
    void maxRoundsOneDecidesAfterTheFullPass() {
        HybridThresholdPolicy p = new HybridThresholdPolicy(0.8, 2, 300 * MS, 1);
        assertThat(decide(p, history(GUEST, 5_000)).action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(decide(p, history(GUEST, 3_000)).action()).as("3,000 pages fit 300 ms of 10,000 pages/s")
                .isEqualTo(Action.STOP_AND_COPY);
    }

    @Test
    void theDowntimeLimitWinsOverNonConvergence() {
        // round 1 dirtied 8,000 of 9,000 (not converging, two in a row); at 9,000 pages/s, 8,000 pages take 888.9 ms
        List<RoundStats> h = history(GUEST, 9_000, 8_000);
        HybridThresholdPolicy fits = new HybridThresholdPolicy(0.8, 2, 890 * MS, 30);
        assertThat(decide(fits, h.subList(0, 1)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
        Decision d = decide(fits, h);
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).startsWith("expected downtime 888.9 ms <= 890.0 ms limit").doesNotContain("converging");

        HybridThresholdPolicy tighter = new HybridThresholdPolicy(0.8, 2, 880 * MS, 30);
        assertThat(decide(tighter, h).action()).isEqualTo(Action.START_POSTCOPY);
    }

    @Test
    void theDowntimeLimitWinsAtTheCap() {
        HybridThresholdPolicy p = new HybridThresholdPolicy(0.8, 2, 300 * MS, 2);
        Decision d = decide(p, history(GUEST, 9_000, 100));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).doesNotContain("max-rounds");
    }

    @Test
    void nothingDirtyStops() {
        Decision d = decide(hybrid, history(GUEST, 9_000, 0));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).startsWith("expected downtime 0.0 ms <= 300.0 ms limit");
    }

    @Test
    void shareZeroSwitchesAfterRoundsRoundsUnlessTheLimitIsMet() {
        HybridThresholdPolicy p = new HybridThresholdPolicy(0, 3, 300 * MS, 30);
        List<RoundStats> h = history(GUEST, 5_000, 4_000, 3_000);
        assertThat(decide(p, h.subList(0, 2)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(decide(p, h).action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(p.toString()).isEqualTo("hybrid-threshold:share=0,rounds=3,limit=300ms,max-rounds=30");
    }

    @Test
    void shareZeroOneRoundDecidesRoundZeroAsPostcopyAfterFirstPass() {
        SwitchPolicy hybrid0 = Policies.create("hybrid-threshold:share=0,rounds=1,limit=300ms");
        SwitchPolicy libvirt = Policies.create("postcopy-after-first-pass:limit=300ms");
        for (long dirtied : new long[]{0, 1, 2_999, 3_000, 3_001, 9_999, 10_000}) {
            List<RoundStats> h = history(GUEST, dirtied);
            assertThat(decide(hybrid0, h).action()).as("%d dirtied", dirtied).isEqualTo(decide(libvirt, h).action());
        }
    }

    @Test
    void historyMustEndWithTheLatestRound() {
        List<RoundStats> h = history(GUEST, 9_000, 9_000);
        assertThatThrownBy(() -> hybrid.decide(h.get(1), h.subList(0, 1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("history must hold every round so far");
    }

    @Test
    void rejectsBadConstruction() {
        assertThatThrownBy(() -> new HybridThresholdPolicy(-0.1, 2, 300 * MS, 30)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridThresholdPolicy(1.01, 2, 300 * MS, 30)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridThresholdPolicy(Double.NaN, 2, 300 * MS, 30)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridThresholdPolicy(0.8, 0, 300 * MS, 30)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridThresholdPolicy(0.8, 2, -1, 30)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridThresholdPolicy(0.8, 2, 300 * MS, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
