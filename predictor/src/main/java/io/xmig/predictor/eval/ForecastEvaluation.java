package io.xmig.predictor.eval;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.lstm.LstmTrainer;
import io.xmig.predictor.telemetry.TelemetryTrace;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Runs forecasters online over traces, as the control plane would (one {@code observe} per sample, from the first
 * sample of each trace, state reset between traces), and scores the forecast made at sample {@code t} for step
 * {@code k} against sample {@code t + k}. Forecasts made before {@link LstmTrainer#WARMUP} samples are not scored,
 * for every model alike.
 */
public final class ForecastEvaluation {
    /** The pooled family of every trace. */
    public static final String ALL = "all";

    private final List<String> models = new ArrayList<>();
    private final int[] horizons;
    private final long intervalMillis;
    /** model → family → series → metrics per horizon index. */
    private final Map<String, Map<String, Map<Series, Metrics[]>>> results = new LinkedHashMap<>();
    /** For plots: trace name → model → forecasts at each plotted horizon, aligned with the target sample. */
    private final Map<String, Map<String, double[][]>> aligned = new LinkedHashMap<>();
    private final Map<String, TelemetryTrace> plotted = new LinkedHashMap<>();

    private ForecastEvaluation(int[] horizons, long intervalMillis) {
        this.horizons = horizons.clone();
        this.intervalMillis = intervalMillis;
    }

    /**
     * @param horizons   steps at which to score (e.g. 4, 8, .., 20: 1..5 s at 250 ms)
     * @param plotTraces names of traces whose forecasts are kept for {@link ForecastPlot}
     */
    public static ForecastEvaluation run(List<TelemetryTrace> traces, List<Supplier<Forecaster>> factories, int[] horizons,
                                         List<String> plotTraces) {
        if (traces.isEmpty()) throw new IllegalArgumentException("no traces to evaluate on");
        long interval = traces.getFirst().intervalMillis();
        ForecastEvaluation ev = new ForecastEvaluation(horizons, interval);
        for (Supplier<Forecaster> factory : factories) {
            try (Forecaster f = factory.get()) {
                if (f.intervalMillis() != interval) {
                    throw new IllegalArgumentException(f.name() + " is for a " + f.intervalMillis() + " ms interval, the traces have " + interval + " ms");
                }
                for (int h : horizons) {
                    if (h > f.horizonSteps()) throw new IllegalArgumentException(f.name() + " forecasts " + f.horizonSteps() + " steps, not " + h);
                }
                ev.models.add(f.name());
                for (TelemetryTrace t : traces) {
                    if (t.intervalMillis() != interval) throw new IllegalArgumentException("trace " + t.name() + " has another interval");
                    f.reset();
                    ev.score(f, t, plotTraces.contains(t.name()));
                }
            }
        }
        return ev;
    }

    private void score(Forecaster f, TelemetryTrace t, boolean keep) {
        double[] d = t.dirty(), c = t.cpu();
        Map<Series, Metrics[]> fam = metrics(f.name(), t.family()), all = metrics(f.name(), ALL);
        double[][] kept = keep ? new double[horizons.length * 2][d.length] : null;
        if (keep) {
            for (double[] row : kept) java.util.Arrays.fill(row, Double.NaN);
            plotted.put(t.name(), t);
            aligned.computeIfAbsent(t.name(), k -> new LinkedHashMap<>()).put(f.name(), kept);
        }
        for (int i = 0; i < d.length; i++) {
            HorizonForecast fc = f.observe(t.samples().get(i));
            if (i < LstmTrainer.WARMUP) continue;
            for (int j = 0; j < horizons.length; j++) {
                int k = horizons[j];
                if (i + k >= d.length) continue;
                fam.get(Series.DIRTY)[j].add(fc.dirty(k), d[i + k]);
                all.get(Series.DIRTY)[j].add(fc.dirty(k), d[i + k]);
                fam.get(Series.CPU)[j].add(fc.cpu(k), c[i + k]);
                all.get(Series.CPU)[j].add(fc.cpu(k), c[i + k]);
                if (keep) {
                    kept[2 * j][i + k] = fc.dirty(k);
                    kept[2 * j + 1][i + k] = fc.cpu(k);
                }
            }
        }
    }

    private Map<Series, Metrics[]> metrics(String model, String family) {
        return results.computeIfAbsent(model, m -> new TreeMap<>()).computeIfAbsent(family, x -> {
            Map<Series, Metrics[]> m = new LinkedHashMap<>();
            for (Series s : Series.values()) {
                Metrics[] a = new Metrics[horizons.length];
                for (int i = 0; i < a.length; i++) a[i] = new Metrics();
                m.put(s, a);
            }
            return m;
        });
    }

    public List<String> models() {
        return List.copyOf(models);
    }

    /** Families in name order, then {@link #ALL}. */
    public List<String> families() {
        List<String> f = new ArrayList<>(results.values().iterator().next().keySet());
        f.remove(ALL);
        f.add(ALL);
        return f;
    }

    public int[] horizons() {
        return horizons.clone();
    }

    public long intervalMillis() {
        return intervalMillis;
    }

    public Metrics metrics(String model, String family, Series series, int horizonIndex) {
        return results.get(model).get(family).get(series)[horizonIndex];
    }

    Map<String, TelemetryTrace> plottedTraces() {
        return plotted;
    }

    /** Forecast of {@code model} for {@code trace} at horizon index {@code j}, placed at the sample it forecast. */
    double[] alignedForecast(String trace, String model, Series s, int j) {
        return aligned.get(trace).get(model)[2 * j + (s == Series.DIRTY ? 0 : 1)];
    }
}
