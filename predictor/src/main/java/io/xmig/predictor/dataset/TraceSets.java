package io.xmig.predictor.dataset;

import io.xmig.predictor.telemetry.TelemetryCsv;
import io.xmig.predictor.telemetry.TelemetryTrace;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads one part of a dataset directory. A directory laid out by {@code xmig traces} has a sub-folder per
 * {@link Split}; any other directory of CSV files is split here with the {@link SplitRule}. Either way a trace whose
 * family and seed the rule puts in another part is refused, so a held-out trace cannot leak into training by being
 * copied into the wrong folder.
 */
public final class TraceSets {
    private TraceSets() {
    }

    public static List<TelemetryTrace> load(Path dir, Split part, SplitRule rule) {
        Path sub = dir.resolve(part.directory());
        List<TelemetryTrace> out = new ArrayList<>();
        if (Files.isDirectory(sub)) {
            for (TelemetryTrace t : TelemetryCsv.readDirectory(sub)) {
                if (rule.of(t) != part) {
                    throw new IllegalArgumentException("trace " + t.name() + " is in " + sub + " but the split rule puts "
                            + "family '" + t.family() + "' seed " + t.seed() + " in " + rule.of(t).directory());
                }
                out.add(t);
            }
        } else {
            for (TelemetryTrace t : TelemetryCsv.readDirectory(dir)) if (rule.of(t) == part) out.add(t);
        }
        return out;
    }

    /**
     * Every trace of a directory given for evaluation: its {@code held-out/} sub-folder if it has one, else its CSV
     * files. Traces the rule would train on are refused: evaluating on training data would flatter the model.
     */
    public static List<TelemetryTrace> loadForEvaluation(Path dir, SplitRule rule, boolean allowNonHeldOut) {
        Path sub = dir.resolve(Split.HELD_OUT.directory());
        List<TelemetryTrace> all = TelemetryCsv.readDirectory(Files.isDirectory(sub) ? sub : dir);
        if (!allowNonHeldOut) {
            for (TelemetryTrace t : all) {
                if (rule.of(t) != Split.HELD_OUT) {
                    throw new IllegalArgumentException("trace " + t.name() + " is not held out (the split rule puts it in "
                            + rule.of(t).directory() + "); evaluate on held-out traces only");
                }
            }
        }
        return all;
    }
}
