package io.xmig.control.policy;

import org.junit.jupiter.api.Test;

import java.util.List;

import static io.xmig.control.policy.Rounds.PAGE;
import static io.xmig.control.policy.Rounds.decide;
import static io.xmig.control.policy.Rounds.history;
import static io.xmig.control.policy.Rounds.withLatest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * postcopy-after-first-pass against virsh --postcopy --postcopy-after-precopy on QEMU: migrate-start-postcopy once the
 * first full pass is done, unless QEMU's completion test (remainder <= bandwidth × downtime limit) finishes the
 * migration in pre-copy first.
 */
class PostcopyAfterFirstPassPolicyTest {
    private static final long SECOND = 1_000_000_000L;
    /** 1,000 pages per second: 300 ms of it is exactly 300 pages. */
    private static final long BYTES_PER_SECOND = 1000L * PAGE;

    private final PostcopyAfterFirstPassPolicy libvirt = new PostcopyAfterFirstPassPolicy();

    @Test
    void defaults() {
        assertThat(libvirt.limitNanos()).isEqualTo(300_000_000L);
        assertThat(libvirt.name()).isEqualTo("postcopy-after-first-pass");
        assertThat(libvirt.toString()).isEqualTo("postcopy-after-first-pass:limit=300ms");
    }

    @Test
    void preCopiesTheFirstPass() {
        Decision d = libvirt.atStart(262_144, PAGE);
        assertThat(d.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(d.reason()).contains("262,144 pages");
    }

    @Test
    void switchesAfterTheFirstPass() {
        Decision d = decide(libvirt, withLatest(0, BYTES_PER_SECOND, SECOND, 301));
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).isEqualTo("the first full pass (round 0) is done, switching to post-copy as virsh "
                + "--postcopy-after-precopy does; expected downtime 301.0 ms > 300.0 ms limit: 1,232,896 bytes (301 pages) "
                + "still dirty at 4,096,000 B/s (3.9 MiB/s) measured in round 0");
    }

    @Test
    void littleDirtyAfterTheFirstPassCompletesInPrecopyAsQemuDoes() {
        Decision d = decide(libvirt, withLatest(0, BYTES_PER_SECOND, SECOND, 300));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).startsWith("the first full pass (round 0) left little dirty, expected downtime 300.0 ms <= 300.0 ms limit")
                .endsWith("QEMU completes in pre-copy here before virsh's migrate-start-postcopy takes effect");
    }

    @Test
    void nothingDirtyStops() {
        Decision d = decide(libvirt, history(262_144, 0));
        assertThat(d.action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(d.reason()).contains("expected downtime 0.0 ms <= 300.0 ms limit");
    }

    @Test
    void busyGuestSwitches() {
        // 1 GiB guest, the full pass in 1 s, 100,000 pages dirtied meanwhile: 381.5 ms of downtime at that rate
        List<RoundStats> h = history(262_144, 100_000);
        assertThat(decide(libvirt, h).action()).isEqualTo(Action.START_POSTCOPY);
    }

    @Test
    void zeroLimitSwitchesUnlessNothingIsDirty() {
        PostcopyAfterFirstPassPolicy p = new PostcopyAfterFirstPassPolicy(0);
        assertThat(decide(p, withLatest(0, BYTES_PER_SECOND, SECOND, 1)).action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(decide(p, withLatest(0, BYTES_PER_SECOND, SECOND, 0)).action()).isEqualTo(Action.STOP_AND_COPY);
        assertThat(p.toString()).isEqualTo("postcopy-after-first-pass:limit=0ms");
    }

    @Test
    void aRoundWithoutBandwidthSwitches() {
        Decision d = decide(libvirt, withLatest(0, 0, SECOND, 10));
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).contains("round 0 measured no bandwidth");
    }

    @Test
    void aLaterRoundGetsTheSameRule() {
        Decision d = decide(libvirt, withLatest(2, BYTES_PER_SECOND, SECOND, 5000));
        assertThat(d.action()).isEqualTo(Action.START_POSTCOPY);
        assertThat(d.reason()).startsWith("round 2 is done");
    }

    @Test
    void historyMustEndWithTheLatestRound() {
        List<RoundStats> h = history(1000, 900, 900);
        assertThatThrownBy(() -> libvirt.decide(h.get(1), h.subList(0, 1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsBadLimits() {
        assertThatThrownBy(() -> new PostcopyAfterFirstPassPolicy(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PostcopyAfterFirstPassPolicy(2001L * SECOND)).isInstanceOf(IllegalArgumentException.class);
    }
}
