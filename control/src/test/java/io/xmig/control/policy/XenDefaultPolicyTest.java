package io.xmig.control.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.xmig.control.policy.Rounds.decide;
import static io.xmig.control.policy.Rounds.history;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * xen-default against Xen 4.17's send_memory_live + simple_precopy_policy: after round r (Xen's pass x = r + 1) Xen
 * stops when iteration >= 5, or, when the CLEAN reports fewer than 50 dirty pages, after sending those live once more.
 */
class XenDefaultPolicyTest {
    private final SwitchPolicy xen = new XenDefaultPolicy();
    private static final long GUEST = 262_144;   // 1 GiB

    @Test
    void fourIterationsContinueFiveStop() {
        List<RoundStats> h = history(GUEST, 9000, 9000, 9000, 8192, 8192);
        // rounds 0..3 are iterations 1..4: continue
        for (int r = 0; r < 4; r++) {
            Decision d = decide(xen, h.subList(0, r + 1));
            assertThat(d.action()).as("after round %d", r).isEqualTo(Action.CONTINUE_PRECOPY);
            assertThat(d.reason()).contains("iteration " + (r + 1) + " of 5");
        }
        Decision d = decide(xen, h);   // round 4 = iteration 5
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).isEqualTo("5 iterations reached (Xen's SPP_MAX_ITERATIONS), 8,192 pages still dirty");
    }

    @Test
    void fiftyDirtyPagesContinue() {
        List<RoundStats> h = history(GUEST, 50, 60);
        Decision d = decide(xen, h.subList(0, 1));
        assertThat(d.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(d.reason()).contains("50 pages dirty (at least 50)");
        // round 1 sent those 50; 60 dirtied since: an ordinary round, Xen goes on
        assertThat(decide(xen, h).action()).isEqualTo(Action.CONTINUE_PRECOPY);
    }

    @Test
    void fortyNineDirtyPagesAreSentLiveOnceThenStop() {
        List<RoundStats> h = history(GUEST, 49, 3000);
        Decision last = decide(xen, h.subList(0, 1));
        // Xen's policy says STOP_AND_COPY here, but send_memory_live still sends these 49 pages live first
        assertThat(last.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(last.reason()).contains("49 pages dirty after round 0, fewer than 50").contains("one last round");
        // ...and then suspends whatever that last live round left dirty
        Decision stop = decide(xen, h);
        assertThat(stop.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(stop.reason()).contains("round 1 was Xen's last live pass").contains("round 0 left 49 dirty pages")
                .contains("3,000 pages still dirty");
    }

    @Test
    void noDirtyPagesStopAtOnce() {
        Decision d = decide(xen, history(GUEST, 1000, 0));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).contains("no pages dirtied during round 1");
    }

    @Test
    void dirtyRuleBeforeTheCapAtRoundThree() {
        // 20 dirty after round 3 (iteration 4): round 4 sends them live, then stop (both rules agree there)
        List<RoundStats> h = history(GUEST, 9000, 9000, 9000, 20, 7);
        assertThat(decide(xen, h.subList(0, 4)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
        Decision d = decide(xen, h);
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).contains("round 4 was Xen's last live pass");
    }

    @Test
    void guestSmallerThanFiftyPagesStopsAfterTheFullPass() {
        Decision d = decide(xen, history(40, 12));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).contains("the guest has only 40 pages");
        assertThat(decide(xen, history(50, 12)).action()).isEqualTo(Action.CONTINUE_PRECOPY);
    }

    @Test
    void neverAbortsOrPostcopies() {
        List<RoundStats> h = history(GUEST, 200_000, 200_000, 200_000, 200_000, 200_000);
        for (int r = 0; r < h.size(); r++) {
            assertThat(decide(xen, h.subList(0, r + 1)).action()).isIn(Action.CONTINUE_PRECOPY, Action.STOP_AND_COPY);
        }
    }

    @Test
    void historyMustEndWithTheLatestRound() {
        List<RoundStats> h = history(GUEST, 100, 100, 100);
        assertThatThrownBy(() -> xen.decide(h.get(2), h.subList(0, 2))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("history must hold every round so far");
    }

    @Test
    void nameAndSpec() {
        assertThat(xen.name()).isEqualTo("xen-default");
        assertThat(xen.toString()).isEqualTo("xen-default");
    }
}
