package io.xmig.dataplane.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzzing (Jazzer) of every frame-body decoder of protocol v1 ({@link BodyDecoders}): each input is
 * given to all 22 of them. Without {@code JAZZER_FUZZ} this runs the kept inputs under
 * {@code src/test/resources/io/xmig/dataplane/protocol/FrameBodiesFuzzTestInputs/bodies/} as regression tests; with it,
 * Jazzer fuzzes for {@code jazzer.max_duration} or {@code jazzer.max_executions} (see docs/RELIABILITY.md). With
 * {@code -Dxmig.fuzz.minInputs=N} the run fails unless every decoder saw at least N inputs.
 */
class FrameBodiesFuzzTest {
    private static final FuzzBudget BUDGET = new FuzzBudget(FuzzBudget.BODY_SLACK);

    @FuzzTest(maxDuration = "5s")
    void bodies(byte[] input) {
        BodyDecoders.decodeAll(input, BUDGET);
    }

    @AfterAll
    static void report() {
        System.out.println(BodyDecoders.summary());
        long min = Long.getLong("xmig.fuzz.minInputs", 0);
        for (BodyDecoders d : BodyDecoders.values()) assertThat(d.inputs).as("inputs fuzzed into %s", d).isGreaterThanOrEqualTo(min);
    }
}
