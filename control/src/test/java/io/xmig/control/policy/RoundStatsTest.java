package io.xmig.control.policy;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoundStatsTest {

    @Test
    void bandwidthHelper() {
        assertThat(RoundStats.bytesPerSecond(50L << 20, 1_000_000_000L)).isEqualTo(50.0 * (1 << 20));
        assertThat(RoundStats.bytesPerSecond(1, 0)).isZero();
    }

    @Test
    void rejectsImpossibleValues() {
        assertThatThrownBy(() -> stats(-1, 0, 1.0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> stats(0, -5, 1.0)).hasMessageContaining("pagesDirtied");
        assertThatThrownBy(() -> stats(0, 0, Double.NaN)).hasMessageContaining("bandwidthBytesPerSecond");
        assertThatThrownBy(() -> stats(0, 0, Double.POSITIVE_INFINITY)).hasMessageContaining("bandwidthBytesPerSecond");
        assertThatThrownBy(() -> new RoundStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 4096, 0, null))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void decisionNeedsAReason() {
        assertThatThrownBy(() -> Decision.stopAndCopy(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Decision.abort("why").action()).isEqualTo(Action.ABORT);
        assertThat(Decision.startPostcopy("why").action()).isEqualTo(Action.START_POSTCOPY);
    }

    private static RoundStats stats(int round, long dirtied, double bw) {
        return new RoundStats(round, 1, 0, 4096, dirtied, 1, 1, bw, Math.max(0, dirtied) * 4096, 1, 4096, 0, Optional.empty());
    }
}
