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
        assertThat(Policies.names()).containsExactly("xen-default", "downtime-limit", "postcopy-only",
                "postcopy-after-first-pass", "hybrid-threshold", "predictive");
    }

    @Test
    void createsTheBaselines() {
        assertThat(Policies.create("xen-default")).isInstanceOf(XenDefaultPolicy.class);
        assertThat(Policies.create(" xen-default ").name()).isEqualTo("xen-default");
        assertThat(Policies.create("downtime-limit").toString())
                .isEqualTo("downtime-limit:limit=300ms,max-rounds=30,on-cap=abort");
    }

    @Test
    void createsThePostcopyPolicies() {
        assertThat(Policies.create("postcopy-only")).isInstanceOf(PostcopyOnlyPolicy.class);
        assertThat(Policies.create("postcopy-after-first-pass")).isInstanceOf(PostcopyAfterFirstPassPolicy.class)
                .hasToString("postcopy-after-first-pass:limit=300ms");
        assertThat(Policies.create("postcopy-after-first-pass:limit=50ms")).hasToString("postcopy-after-first-pass:limit=50ms");
        assertThat(Policies.create("hybrid-threshold")).isInstanceOf(HybridThresholdPolicy.class)
                .hasToString("hybrid-threshold:share=0.8,rounds=2,limit=300ms,max-rounds=30");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "hybrid-threshold:share=0.7,rounds=2,limit=100ms,max-rounds=10 | 0.7 | 2 | 100000000 | 10",
            "hybrid-threshold:share=1                                      | 1.0 | 2 | 300000000 | 30",
            "hybrid-threshold:share=0,rounds=1                             | 0.0 | 1 | 300000000 | 30",
            "hybrid-threshold: max-rounds = 5 , limit = 1.5s                | 0.8 | 2 | 1500000000 | 5",
            "hybrid-threshold:rounds=3,share=0.65                          | 0.65 | 3 | 300000000 | 30",
    })
    void parsesHybridParameters(String spec, double share, int rounds, long limitNanos, int maxRounds) {
        HybridThresholdPolicy p = (HybridThresholdPolicy) Policies.create(spec);
        assertThat(p.share()).isEqualTo(share);
        assertThat(p.rounds()).isEqualTo(rounds);
        assertThat(p.limitNanos()).isEqualTo(limitNanos);
        assertThat(p.maxRounds()).isEqualTo(maxRounds);
        assertThat(Policies.create(p.toString()).toString()).isEqualTo(p.toString());
    }

    @Test
    void postcopyOnlyTakesNoParameters() {
        assertThatThrownBy(() -> Policies.create("postcopy-only:limit=1s"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("policy postcopy-only takes no parameters, got 'limit=1s'");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "postcopy-after-first-pass:share=0.8       | policy postcopy-after-first-pass: unknown key 'share'; valid keys: limit",
            "postcopy-after-first-pass:limit=soon      | policy postcopy-after-first-pass: bad limit 'soon'; expected a duration from 0ms to 2000s such as 300ms or 1.5s",
            "postcopy-after-first-pass:limit=1s,limit=2s | policy postcopy-after-first-pass: key 'limit' given twice",
            "hybrid-threshold:shares=0.8               | policy hybrid-threshold: unknown key 'shares'; valid keys: share, rounds, limit, max-rounds",
            "hybrid-threshold:on-cap=stop              | policy hybrid-threshold: unknown key 'on-cap'; valid keys: share, rounds, limit, max-rounds",
            "hybrid-threshold:share                    | policy hybrid-threshold: expected key=value, got 'share'; valid keys: share, rounds, limit, max-rounds",
            "hybrid-threshold:share=1.1                | policy hybrid-threshold: bad share '1.1'; expected a fraction from 0 to 1 such as 0.8",
            "hybrid-threshold:share=-0.1               | policy hybrid-threshold: bad share '-0.1'",
            "hybrid-threshold:share=80%                | policy hybrid-threshold: bad share '80%'",
            "hybrid-threshold:share=.8                 | policy hybrid-threshold: bad share '.8'",
            "hybrid-threshold:share=8e-1               | policy hybrid-threshold: bad share '8e-1'",
            "hybrid-threshold:share=NaN                | policy hybrid-threshold: bad share 'NaN'",
            "hybrid-threshold:rounds=0                 | policy hybrid-threshold: bad rounds '0'; expected a whole number of rounds, at least 1",
            "hybrid-threshold:rounds=two               | policy hybrid-threshold: bad rounds 'two'",
            "hybrid-threshold:max-rounds=-3            | policy hybrid-threshold: bad max-rounds '-3'; expected a whole number of rounds, at least 1",
            "hybrid-threshold:limit=2001s              | policy hybrid-threshold: bad limit '2001s'; expected a duration from 0ms to 2000s",
            "hybrid-threshold:rounds=2,rounds=3        | policy hybrid-threshold: key 'rounds' given twice",
    })
    void badPostcopyParametersSayWhatIsValid(String spec, String message) {
        assertThatThrownBy(() -> Policies.create(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message)
                .hasMessageNotContaining("\n");
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
    @ValueSource(strings = {"", "  ", "xen", "Xen-Default", "downtime", "postcopy", "hybrid", "Postcopy-Only", "Predictive"})
    void unknownNamesListTheValidOnes(String spec) {
        assertThatThrownBy(() -> Policies.create(spec)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("valid policies: xen-default, downtime-limit, postcopy-only, postcopy-after-first-pass, hybrid-threshold, predictive")
                .hasMessageNotContaining("\n");
    }

    @Test
    void unknownPolicyNamesTheCulprit() {
        assertThatThrownBy(() -> Policies.create("oracle:model=x"))
                .hasMessage("unknown policy 'oracle'; valid policies: xen-default, downtime-limit, postcopy-only, postcopy-after-first-pass, hybrid-threshold, predictive");
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
