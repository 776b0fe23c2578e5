package io.xmig.predictor.telemetry;

/**
 * One row of a guest's telemetry: what the guest did during the interval that ends at {@code tMillis}
 * (docs/FORECAST.md, "Telemetry format").
 *
 * @param tMillis                 end of the interval, milliseconds since sampling started
 * @param dirtyPagesPerSecond     distinct pages dirtied during the interval, divided by its length in seconds
 * @param cpuUtil                 vCPU CPU time per wall time, summed over the vCPUs and divided by their number:
 *                                0 = idle, 1 = every vCPU busy all the time
 * @param hotSetPages             pages in the writable working set; 0 until a clusterer measures it
 * @param bandwidthBytesPerSecond migration bandwidth achieved during the interval; 0 outside a migration
 */
public record TelemetrySample(long tMillis, double dirtyPagesPerSecond, double cpuUtil, long hotSetPages,
                              double bandwidthBytesPerSecond) {

    public TelemetrySample {
        if (!(dirtyPagesPerSecond >= 0) || !Double.isFinite(dirtyPagesPerSecond)) {
            throw new IllegalArgumentException("dirty_pages_per_s must be finite and >= 0: " + dirtyPagesPerSecond);
        }
        if (!(cpuUtil >= 0) || !Double.isFinite(cpuUtil)) {
            throw new IllegalArgumentException("cpu_util must be finite and >= 0: " + cpuUtil);
        }
        if (hotSetPages < 0) throw new IllegalArgumentException("hot_set_pages must be >= 0: " + hotSetPages);
        if (!(bandwidthBytesPerSecond >= 0) || !Double.isFinite(bandwidthBytesPerSecond)) {
            throw new IllegalArgumentException("bandwidth_bytes_per_s must be finite and >= 0: " + bandwidthBytesPerSecond);
        }
    }

    /** A sample with only the two forecast series (no hot set, no migration running). */
    public static TelemetrySample of(long tMillis, double dirtyPagesPerSecond, double cpuUtil) {
        return new TelemetrySample(tMillis, dirtyPagesPerSecond, cpuUtil, 0, 0);
    }
}
