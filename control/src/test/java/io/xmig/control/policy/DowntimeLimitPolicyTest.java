package io.xmig.control.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.xmig.control.policy.Rounds.PAGE;
import static io.xmig.control.policy.Rounds.decide;
import static io.xmig.control.policy.Rounds.withLatest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** downtime-limit against QEMU's rule: complete when pending_size <= bandwidth × downtime_limit. */
class DowntimeLimitPolicyTest {
    private static final long SECOND = 1_000_000_000L;
    /** 1,000 pages per second: 300 ms of it is exactly 300 pages = 1,228,800 bytes. */
    private static final long BYTES_PER_SECOND = 1000L * PAGE;

    private final DowntimeLimitPolicy qemu = new DowntimeLimitPolicy();

    @Test
    void defaultsAreQemus() {
        assertThat(qemu.limitNanos()).isEqualTo(300_000_000L);
        assertThat(qemu.maxRounds()).isEqualTo(30);
        assertThat(qemu.onCap()).isEqualTo(DowntimeLimitPolicy.OnCap.ABORT);
        assertThat(qemu.name()).isEqualTo("downtime-limit");
        assertThat(qemu.toString()).isEqualTo("downtime-limit:limit=300ms,max-rounds=30,on-cap=abort");
    }

    @Test
    void stopsExactlyWhenTheRemainderFitsTheLimit() {
        Decision fits = decide(qemu, withLatest(3, BYTES_PER_SECOND, SECOND, 300));
        assertThat(fits.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(fits.reason()).isEqualTo("expected downtime 300.0 ms <= 300.0 ms limit: 1,228,800 bytes (300 pages) "
                + "still dirty at 4,096,000 B/s (3.9 MiB/s) measured in round 3");

        Decision over = decide(qemu, withLatest(3, BYTES_PER_SECOND, SECOND, 301));
        assertThat(over.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(over.reason()).startsWith("expected downtime 301.0 ms > 300.0 ms limit: 1,232,896 bytes (301 pages)");
    }

    @Test
    void usesTheLatestRoundsBandwidthNotAnAverage() {
        // same remainder, round 2 twice as fast as round 1: fits only at the faster rate
        assertThat(decide(qemu, withLatest(2, BYTES_PER_SECOND, SECOND, 500)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(decide(qemu, withLatest(2, 2 * BYTES_PER_SECOND, SECOND, 500)).action()).isEqualTo(Action.STOP_AND_COPY);
    }

    @Test
    void aRoundThatSentNothingMeasuresNoBandwidth() {
        Decision d = decide(qemu, withLatest(2, 0, SECOND, 10));
        assertThat(d.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(d.reason()).contains("round 2 measured no bandwidth").contains("40,960 bytes still dirty");
        // with nothing dirty, threshold 0 still completes (QEMU: pending_size 0 <= threshold 0)
        Decision empty = decide(qemu, withLatest(2, 0, SECOND, 0));
        assertThat(empty.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(empty.reason()).contains("nothing left to send after round 2");
    }

    @Test
    void zeroDurationMeasuresNoBandwidth() {
        assertThat(RoundStats.bytesPerSecond(4096, 0)).isZero();
        assertThat(decide(qemu, withLatest(1, 4096, 0, 1)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
    }

    @Test
    void capAbortsByDefault() {
        DowntimeLimitPolicy p = new DowntimeLimitPolicy(300_000_000L, 5, DowntimeLimitPolicy.OnCap.ABORT);
        assertThat(decide(p, withLatest(3, BYTES_PER_SECOND, SECOND, 5000)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
        Decision d = decide(p, withLatest(4, BYTES_PER_SECOND, SECOND, 5000));   // 5th round
        assertThat(d.action()).isEqualTo(Action.ABORT);
        assertThat(d.reason()).startsWith("5 rounds reached (max-rounds=5) and expected downtime 5,000.0 ms > 300.0 ms limit")
                .contains("on-cap=abort");
    }

    @Test
    void capCanStopAnyway() {
        DowntimeLimitPolicy p = new DowntimeLimitPolicy(300_000_000L, 5, DowntimeLimitPolicy.OnCap.STOP);
        Decision d = decide(p, withLatest(4, BYTES_PER_SECOND, SECOND, 5000));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).contains("5 rounds reached").contains("on-cap=stop");
    }

    @Test
    void theDowntimeRuleWinsAtTheCap() {
        DowntimeLimitPolicy p = new DowntimeLimitPolicy(300_000_000L, 5, DowntimeLimitPolicy.OnCap.ABORT);
        Decision d = decide(p, withLatest(4, BYTES_PER_SECOND, SECOND, 10));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).doesNotContain("max-rounds");
    }

    @Test
    void maxRoundsOneDecidesAfterTheFullPass() {
        DowntimeLimitPolicy p = new DowntimeLimitPolicy(300_000_000L, 1, DowntimeLimitPolicy.OnCap.ABORT);
        List<RoundStats> h = withLatest(0, BYTES_PER_SECOND, SECOND, 5000);
        assertThat(decide(p, h).action()).isEqualTo(Action.ABORT);
    }

    @Test
    void zeroLimitStopsOnlyWhenNothingIsDirty() {
        DowntimeLimitPolicy p = new DowntimeLimitPolicy(0, 30, DowntimeLimitPolicy.OnCap.ABORT);
        assertThat(decide(p, withLatest(1, BYTES_PER_SECOND, SECOND, 1)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(decide(p, withLatest(1, BYTES_PER_SECOND, SECOND, 0)).action()).isEqualTo(Action.STOP_AND_COPY);
    }

    @Test
    void rejectsBadConstruction() {
        assertThatThrownBy(() -> new DowntimeLimitPolicy(-1, 30, DowntimeLimitPolicy.OnCap.ABORT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DowntimeLimitPolicy(300_000_000L, 0, DowntimeLimitPolicy.OnCap.ABORT))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DowntimeLimitPolicy(300_000_000L, 30, null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
