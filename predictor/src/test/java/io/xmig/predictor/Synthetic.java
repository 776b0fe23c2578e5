package io.xmig.predictor;

import io.xmig.predictor.telemetry.TelemetrySample;
import io.xmig.predictor.telemetry.TelemetryTrace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntToDoubleFunction;

/** Hand-made traces for the tests: 250 ms samples of a given dirty-rate and CPU shape. */
public final class Synthetic {
    private Synthetic() {
    }

    public static TelemetryTrace trace(String family, long seed, int n, IntToDoubleFunction dirty, IntToDoubleFunction cpu) {
        List<TelemetrySample> s = new ArrayList<>();
        for (int i = 0; i < n; i++) s.add(TelemetrySample.of(250L * (i + 1), dirty.applyAsDouble(i), cpu.applyAsDouble(i)));
        return new TelemetryTrace(family, seed, 250, Map.of(), s);
    }

    /** A square wave: {@code quiet} samples at {@code low}, then {@code burst} at {@code high}, with 5 % noise. */
    public static TelemetryTrace phased(long seed, int n, int quiet, int burst, double low, double high) {
        Random r = new Random(seed);
        return trace("phased", seed, n, i -> (i % (quiet + burst) < quiet ? low : high) * (0.95 + 0.1 * r.nextDouble()),
                i -> (i % (quiet + burst) < quiet ? 0.05 : 0.4));
    }
}
