package io.xmig.predictor.dataset;

import io.xmig.predictor.Synthetic;
import io.xmig.predictor.telemetry.TelemetryCsv;
import io.xmig.predictor.telemetry.TelemetryTrace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SplitRuleTest {
    private static final List<String> FAMILIES = List.of("phased", "bursty", "diurnal", "kv", "hotcold", "sweep", "random", "cpu", "sawtooth");

    @Test
    void noSeedOfAFamilyIsInTwoPartsAndHeldOutFamiliesAreNeverTrainedOn() {
        SplitRule rule = SplitRule.DEFAULT;
        Map<String, Set<Split>> seen = new HashMap<>();
        Map<Split, Set<Long>> seedsByPart = new HashMap<>();
        for (String f : FAMILIES) {
            for (long seed = 1; seed <= 40; seed++) {
                Split s = rule.of(f, seed);
                seen.computeIfAbsent(f + "/" + seed, k -> new HashSet<>()).add(s);
                seedsByPart.computeIfAbsent(s, k -> new HashSet<>()).add(seed);
                if (f.equals("sawtooth")) assertThat(s).isEqualTo(Split.HELD_OUT);
            }
        }
        assertThat(seen.values()).allMatch(parts -> parts.size() == 1);
        // across families too: a seed (a parameter draw) used for training is never held out or validated, except in a held-out family
        Set<Long> train = seedsByPart.get(Split.TRAIN);
        for (String f : FAMILIES) {
            if (f.equals("sawtooth")) continue;
            for (long seed = 1; seed <= 40; seed++) {
                if (train.contains(seed)) assertThat(rule.of(f, seed)).isEqualTo(Split.TRAIN);
            }
        }
        // every trained family has every part
        for (String f : FAMILIES) {
            if (f.equals("sawtooth")) continue;
            Set<Split> parts = new HashSet<>();
            for (long seed = 1; seed <= 8; seed++) parts.add(rule.of(f, seed));
            assertThat(parts).containsExactlyInAnyOrder(Split.values());
        }
    }

    @Test
    void aTraceCopiedIntoTheWrongFolderIsRefused(@TempDir Path dir) {
        TelemetryTrace heldOut = Synthetic.phased(4, 30, 4, 2, 100, 1000);           // seed 4: held out
        TelemetryCsv.write(dir.resolve("train").resolve(heldOut.name() + ".csv"), heldOut);
        assertThatThrownBy(() -> TraceSets.load(dir, Split.TRAIN, SplitRule.DEFAULT))
                .hasMessageContaining("phased-s0004").hasMessageContaining("held-out");
        TelemetryTrace trained = Synthetic.phased(2, 30, 4, 2, 100, 1000);           // seed 2: training
        TelemetryCsv.write(dir.resolve("eval").resolve(trained.name() + ".csv"), trained);
        assertThatThrownBy(() -> TraceSets.loadForEvaluation(dir.resolve("eval"), SplitRule.DEFAULT, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("phased-s0002").hasMessageContaining("not held out");
    }

    @Test
    void aFlatDirectoryIsSplitByTheRule(@TempDir Path dir) {
        List<TelemetryTrace> all = new ArrayList<>();
        for (long seed = 1; seed <= 8; seed++) all.add(Synthetic.phased(seed, 30, 4, 2, 100, 1000));
        all.add(Synthetic.trace("sawtooth", 2, 30, i -> i * 10, i -> 0.1));
        for (TelemetryTrace t : all) TelemetryCsv.write(dir.resolve(t.name() + ".csv"), t);
        assertThat(TraceSets.load(dir, Split.TRAIN, SplitRule.DEFAULT)).extracting(TelemetryTrace::seed).containsExactly(2L, 3L, 6L, 7L);
        assertThat(TraceSets.load(dir, Split.VALIDATION, SplitRule.DEFAULT)).extracting(TelemetryTrace::seed).containsExactly(1L, 5L);
        assertThat(TraceSets.load(dir, Split.HELD_OUT, SplitRule.DEFAULT)).extracting(TelemetryTrace::name)
                .containsExactly("phased-s0004", "phased-s0008", "sawtooth-s0002");
    }
}
