package io.xmig.control.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.xmig.control.policy.Rounds.decide;
import static io.xmig.control.policy.Rounds.history;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** postcopy-only: START_POSTCOPY before round 0; at the first chance if a session asks after a round anyway. */
class PostcopyOnlyPolicyTest {
    private final SwitchPolicy postcopy = new PostcopyOnlyPolicy();

    @Test
    void switchesBeforeAnyRound() {
        Decision d = postcopy.atStart(262_144, 4096);
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).isEqualTo("post-copy only: switching before any pre-copy round; the destination resumes the "
                + "guest at once and fetches all 262,144 pages (1.0 GiB) by demand fault or background push");
    }

    @Test
    void switchesAtTheFirstChanceIfAskedAfterARound() {
        Decision d = decide(postcopy, history(262_144, 5_000));
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).contains("after round 0").contains("5,000 pages still dirty");
    }

    @Test
    void evenAnEmptyGuest() {
        assertThat(postcopy.atStart(0, 4096).action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(postcopy.atStart(0, 4096).reason()).contains("all 0 pages (0 bytes)");
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> postcopy.atStart(-1, 4096)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("guestPages");
        assertThatThrownBy(() -> postcopy.atStart(1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pageSize");
        List<RoundStats> h = history(1000, 900, 900);
        assertThatThrownBy(() -> postcopy.decide(h.get(1), h.subList(0, 1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nameAndSpec() {
        assertThat(postcopy.name()).isEqualTo("postcopy-only");
        assertThat(postcopy.toString()).isEqualTo("postcopy-only");
    }
}
