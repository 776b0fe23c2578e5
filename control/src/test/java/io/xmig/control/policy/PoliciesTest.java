package io.xmig.control.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoliciesTest {

    @Test
    void names() {
        assertThat(Policies.names()).containsExactly("xen-default", "downtime-limit");
    }

    @Test
    void createsTheBaselines() {
        assertThat(Policies.create("xen-default")).isInstanceOf(XenDefaultPolicy.class);
        assertThat(Policies.create(" xen-default ").name()).isEqualTo("xen-default");
        assertThat(Policies.create("downtime-limit").toString())
                .isEqualTo("downtime-limit:limit=300ms,max-rounds=30,on-cap=abort");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "downtime-limit:limit=300ms                          | 300000000  | 30 | ABORT",
            "downtime-limit:limit=50                             | 50000000   | 30 | ABORT",
            "downtime-limit:limit=1.5s                           | 1500000000 | 30 | ABORT",
            "downtime-limit:limit=0.5ms                          | 500000     | 30 | ABORT",
            "downtime-limit:limit=0ms,max-rounds=1               | 0          | 1  | ABORT",
            "downtime-limit:max-rounds=12,on-cap=stop            | 300000000  | 12 | STOP",
            "downtime-limit: limit = 2s , on-cap = abort          | 2000000000 | 30 | ABORT",
            "downtime-limit:on-cap=stop,limit=250ms,max-rounds=7 | 250000000  | 7  | STOP",
    })
    void parsesParameters(String spec, long limitNanos, int maxRounds, DowntimeLimitPolicy.OnCap onCap) {
        DowntimeLimitPolicy p = (DowntimeLimitPolicy) Policies.create(spec);
        assertThat(p.limitNanos()).isEqualTo(limitNanos);
        assertThat(p.maxRounds()).isEqualTo(maxRounds);
        assertThat(p.onCap()).isEqualTo(onCap);
        // the canonical spec parses back to the same policy
        DowntimeLimitPolicy again = (DowntimeLimitPolicy) Policies.create(p.toString());
        assertThat(again.toString()).isEqualTo(p.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "xen", "Xen-Default", "downtime", "postcopy-only"})
    void unknownNamesListTheValidOnes(String spec) {
        assertThatThrownBy(() -> Policies.create(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("valid policies: xen-default, downtime-limit")
                .hasMessageNotContaining("\n");
    }

    @Test
    void unknownPolicyNamesTheCulprit() {
        assertThatThrownBy(() -> Policies.create("predictive:model=x"))
                .hasMessage("unknown policy 'predictive'; valid policies: xen-default, downtime-limit");
    }

    @Test
    void nullSpec() {
        assertThatThrownBy(() -> Policies.create(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("valid policies");
    }

    @Test
    void xenDefaultTakesNoParameters() {
        assertThatThrownBy(() -> Policies.create("xen-default:max-iterations=10"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("policy xen-default takes no parameters, got 'max-iterations=10'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "downtime-limit:limt=300ms          | unknown key 'limt'; valid keys: limit, max-rounds, on-cap",
            "downtime-limit:limit               | expected key=value, got 'limit'; valid keys: limit, max-rounds, on-cap",
            "downtime-limit:                    | expected key=value, got ''; valid keys: limit, max-rounds, on-cap",
            "downtime-limit:limit=300ms,        | expected key=value, got ''",
            "downtime-limit:limit=              | expected key=value, got 'limit='",
            "downtime-limit:=5                  | expected key=value, got '=5'",
            "downtime-limit:limit=1s,limit=2s   | key 'limit' given twice",
            "downtime-limit:limit=fast          | bad limit 'fast'; expected a duration from 0ms to 2000s such as 300ms or 1.5s",
            "downtime-limit:limit=-5ms          | bad limit '-5ms'",
            "downtime-limit:limit=2001s         | bad limit '2001s'",
            "downtime-limit:limit=300us         | bad limit '300us'",
            "downtime-limit:max-rounds=0        | bad max-rounds '0'; expected a whole number of rounds, at least 1",
            "downtime-limit:max-rounds=ten      | bad max-rounds 'ten'",
            "downtime-limit:max-rounds=2.5      | bad max-rounds '2.5'",
            "downtime-limit:on-cap=continue     | bad on-cap 'continue'; expected abort or stop",
            "downtime-limit:on-cap=ABORT        | bad on-cap 'ABORT'",
    })
    void badParametersSayWhatIsValid(String spec, String message) {
        assertThatThrownBy(() -> Policies.create(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("policy downtime-limit")
                .hasMessageContaining(message)
                .hasMessageNotContaining("\n");
    }

    @Test
    void durations() {
        assertThat(Policies.parseDuration("300ms")).isEqualTo(300_000_000L);
        assertThat(Policies.parseDuration("300")).isEqualTo(300_000_000L);
        assertThat(Policies.parseDuration("2s")).isEqualTo(2_000_000_000L);
        assertThat(Policies.parseDuration("x")).isEqualTo(-1);
        assertThat(Policies.formatDuration(300_000_000L)).isEqualTo("300ms");
        assertThat(Policies.formatDuration(1_500_000L)).isEqualTo("1.5ms");
        assertThat(Policies.formatDuration(0)).isEqualTo("0ms");
        assertThat(Policies.formatDuration(2_000_000_000L)).isEqualTo("2000ms");
    }
}
