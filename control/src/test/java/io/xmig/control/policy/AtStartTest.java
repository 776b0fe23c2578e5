package io.xmig.control.policy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The atStart contract: every pre-copy policy keeps the default, which starts round 0. */
class AtStartTest {

    @ParameterizedTest
    @ValueSource(strings = {"xen-default", "downtime-limit", "postcopy-after-first-pass", "hybrid-threshold"})
    void preCopyPoliciesStartWithTheFullPass(String spec) {
        Decision d = Policies.create(spec).atStart(262_144, 4096);
        assertThat(d.action()).isEqualTo(Action.CONTINUE_PRECOPY);
        assertThat(d.reason()).isEqualTo("pre-copy from the start: round 0 sends all 262,144 pages of the guest live");
    }

    @ParameterizedTest
    @ValueSource(strings = {"xen-default", "downtime-limit", "postcopy-only", "postcopy-after-first-pass", "hybrid-threshold"})
    void everyPolicyChecksItsArguments(String spec) {
        SwitchPolicy p = Policies.create(spec);
        assertThatThrownBy(() -> p.atStart(-1, 4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> p.atStart(10, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
