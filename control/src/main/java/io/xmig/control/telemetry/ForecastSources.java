package io.xmig.control.telemetry;

import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.Forecaster;
import io.xmig.predictor.Forecasters;
import io.xmig.predictor.baseline.OracleForecaster;
import io.xmig.predictor.telemetry.TelemetrySample;
import io.xmig.predictor.telemetry.TelemetryTrace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Where a migration's forecasts come from, by the spec given on the command line ({@code --forecaster}):
 * <ul>
 *   <li>{@code lstm:bundled} (the default) or {@code lstm:PATH}: the DL4J LSTM; a missing or corrupt model falls back
 *       to EWMA, with a warning and a description that says so (the report's {@code forecaster});</li>
 *   <li>{@code ewma[:ALPHA]}, {@code last-value}, {@code ar[:LAGS:WINDOW]}: the baselines;</li>
 *   <li>{@code oracle}: the true future of a seeded simulated guest, from a twin (same workload, seed and size)
 *       recorded beforehand ({@link #recordTwin}); the ablation's upper bound.</li>
 * </ul>
 * and the feed that runs one on a simulated guest ({@link #startFeed}). Stateless.
 */
public final class ForecastSources {
    /** Intervals of the working-set window: 40 × 250 ms = 10 s. */
    public static final int WORKING_SET_SAMPLES = 40;
    public static final String DEFAULT_SPEC = "lstm:" + Forecasters.BUNDLED;

    /** A forecaster, what the report calls it, and a warning to print when it is a fallback. */
    public record Chosen(Forecaster forecaster, String description, Optional<String> warning) {}

    private ForecastSources() {
    }

    /**
     * @param oracle called only for {@code oracle}: the recorded future of this guest
     * @throws IllegalArgumentException an unknown spec, with the valid ones
     */
    public static Chosen choose(String spec, Supplier<TelemetryTrace> oracle) {
        long interval = Forecasters.DEFAULT_INTERVAL_MILLIS;
        int steps = Forecasters.DEFAULT_HORIZON_STEPS;
        if (spec.equals("oracle")) {
            OracleForecaster f = new OracleForecaster(oracle.get(), steps);
            return new Chosen(f, "oracle", Optional.empty());
        }
        if (spec.startsWith("lstm:")) {
            Forecasters.Selection s = Forecasters.fromModelOrEwma(spec.substring(5), interval, steps);
            return new Chosen(s.forecaster(), s.fellBack() ? s.description().replaceFirst("^forecaster ", "")
                    : s.forecaster().name(), s.problem().map(p -> "xmig: " + p.getMessage() + "; falling back to EWMA"));
        }
        try {
            Forecaster f = Forecasters.create(spec, interval, steps);
            return new Chosen(f, f.name(), Optional.empty());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad forecaster '" + spec + "': " + e.getMessage()
                    + "; valid: lstm:bundled, lstm:PATH, ewma[:ALPHA], last-value, ar[:LAGS:WINDOW], oracle");
        }
    }

    /**
     * Starts feeding {@code chosen} with samples of the simulated guest {@code domid}: dirty pages from the simulator's
     * written-pages record (log-dirty belongs to the migration), and the working set over {@value #WORKING_SET_SAMPLES}
     * intervals.
     */
    public static ForecastFeed startFeed(XenHypervisor hv, int domid, Chosen chosen) {
        GuestSampler sampler = new GuestSampler(hv, domid, GuestSampler.DirtySource.WRITTEN_PAGES, WORKING_SET_SAMPLES);
        return ForecastFeed.start(sampler, chosen.forecaster(), chosen.description());
    }

    /**
     * The oracle's future: creates a twin of the guest (same pages, workload and seed), samples it as the feed samples
     * the real one for {@code durationMillis}, destroys it. Takes that long.
     */
    public static TelemetryTrace recordTwin(XenHypervisor hv, long pages, String workload, long seed, long durationMillis)
            throws InterruptedException {
        GuestSimulator sim = hv.simulator().orElseThrow(() -> new IllegalStateException("the oracle needs the simulator"));
        long interval = Forecasters.DEFAULT_INTERVAL_MILLIS;
        int twin = sim.createDomain(pages, workload, seed);
        List<TelemetrySample> samples = new ArrayList<>();
        try (GuestSampler s = new GuestSampler(hv, twin, GuestSampler.DirtySource.WRITTEN_PAGES, WORKING_SET_SAMPLES)) {
            long start = System.nanoTime();
            for (long k = 1; k * interval <= durationMillis; k++) {
                long wait = start + k * interval * 1_000_000L - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                samples.add(s.sample());
            }
        } finally {
            sim.destroy(twin);
        }
        return new TelemetryTrace("oracle", seed, interval, Map.of("workload", workload), samples);
    }
}
