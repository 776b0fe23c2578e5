package io.xmig.predictor.telemetry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One guest's time series at a fixed interval, as one CSV file holds it (docs/FORECAST.md).
 *
 * @param family         workload family (phased, bursty, kv, ...): the unit the dataset split works on
 * @param seed           the seed that drew the trace's parameters and seeded the guest
 * @param intervalMillis the sampling interval
 * @param metadata       free-form {@code key=value} pairs from the file's comment lines (workload spec, ...)
 * @param samples        in time order
 */
public record TelemetryTrace(String family, long seed, long intervalMillis, Map<String, String> metadata,
                             List<TelemetrySample> samples) {

    public TelemetryTrace {
        if (family == null || family.isBlank() || family.contains(",") || family.contains("\n")) {
            throw new IllegalArgumentException("workload_family must be a non-empty word without commas: '" + family + "'");
        }
        if (intervalMillis <= 0) throw new IllegalArgumentException("interval must be positive: " + intervalMillis);
        metadata = Map.copyOf(new LinkedHashMap<>(metadata));
        samples = List.copyOf(samples);
    }

    public int size() {
        return samples.size();
    }

    public double[] dirty() {
        return samples.stream().mapToDouble(TelemetrySample::dirtyPagesPerSecond).toArray();
    }

    public double[] cpu() {
        return samples.stream().mapToDouble(TelemetrySample::cpuUtil).toArray();
    }

    /** {@code family-sNNNN}: the file name stem the trace generator uses. */
    public String name() {
        return String.format("%s-s%04d", family, seed);
    }
}
