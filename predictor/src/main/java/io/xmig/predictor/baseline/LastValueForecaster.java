package io.xmig.predictor.baseline;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;

/** Persistence: every future interval looks like the last one. The floor any forecaster must beat. */
public final class LastValueForecaster implements Forecaster {
    private final long intervalMillis;
    private final int horizon;

    public LastValueForecaster(long intervalMillis, int horizonSteps) {
        Baselines.check(intervalMillis, horizonSteps);
        this.intervalMillis = intervalMillis;
        this.horizon = horizonSteps;
    }

    @Override
    public String name() {
        return "last-value";
    }

    @Override
    public long intervalMillis() {
        return intervalMillis;
    }

    @Override
    public int horizonSteps() {
        return horizon;
    }

    @Override
    public HorizonForecast observe(TelemetrySample s) {
        return HorizonForecast.flat(s.tMillis(), intervalMillis, horizon, s.dirtyPagesPerSecond(), s.cpuUtil());
    }

    @Override
    public void reset() {
    }
}
