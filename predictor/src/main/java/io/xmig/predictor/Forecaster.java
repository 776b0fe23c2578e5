package io.xmig.predictor;

import io.xmig.predictor.telemetry.TelemetrySample;

/**
 * Forecasts a guest's dirty-page rate and CPU utilisation 1..{@link #horizonSteps()} sampling intervals ahead, fed
 * one telemetry sample per call, in time order, at the interval it was built for (online: no look-back beyond what
 * it keeps itself).
 *
 * <pre>
 *   Forecaster f = Forecasters.fromModelOrEwma(model, 250, 20).forecaster();
 *   every 250 ms:  HorizonForecast next = f.observe(sample);   // next.dirty(4) = 1 s ahead
 * </pre>
 *
 * <p>Not thread-safe: one sampling thread owns an instance. {@link #close()} frees native memory where there is any.
 */
public interface Forecaster extends AutoCloseable {

    /** Short name for reports: {@code last-value}, {@code ewma(0.5)}, {@code ar(...)}, {@code lstm(model.zip)}. */
    String name();

    /** Sampling interval the forecaster expects between two {@link #observe} calls. */
    long intervalMillis();

    /** How many intervals ahead {@link #observe} forecasts (H). */
    int horizonSteps();

    /**
     * Takes the sample that ends the latest interval and returns the forecast for the {@link #horizonSteps()}
     * intervals after it.
     */
    HorizonForecast observe(TelemetrySample sample);

    /** Forgets every sample seen: the next {@link #observe} starts a new series (another guest). */
    void reset();

    @Override
    default void close() {
    }
}
