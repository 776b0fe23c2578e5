package io.xmig.predictor.baseline;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;

/**
 * Exponentially weighted moving average of each series, {@code m ← m + α (x − m)}, forecast flat over the horizon.
 * It is what a rate estimate in a migration loop usually is, and the fallback when the LSTM's model cannot be loaded.
 * The first sample initialises the average.
 */
public final class EwmaForecaster implements Forecaster {
    /**
     * α at 250 ms. On the validation traces α from 0.2 to 0.7 are within 2 points of mean WAPE over 1-5 s of each other
     * (docs/FORECAST.md, "Baselines"); 0.5 is the middle of that flat optimum.
     */
    public static final double DEFAULT_ALPHA = 0.5;

    private final long intervalMillis;
    private final int horizon;
    private final double alpha;
    private double dirty, cpu;
    private boolean primed;

    public EwmaForecaster(long intervalMillis, int horizonSteps, double alpha) {
        Baselines.check(intervalMillis, horizonSteps);
        if (!(alpha > 0 && alpha <= 1)) throw new IllegalArgumentException("EWMA alpha must be in (0, 1]: " + alpha);
        this.intervalMillis = intervalMillis;
        this.horizon = horizonSteps;
        this.alpha = alpha;
    }

    public EwmaForecaster(long intervalMillis, int horizonSteps) {
        this(intervalMillis, horizonSteps, DEFAULT_ALPHA);
    }

    @Override
    public String name() {
        return "ewma(" + alpha + ")";
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
        if (!primed) {
            dirty = s.dirtyPagesPerSecond();
            cpu = s.cpuUtil();
            primed = true;
        } else {
            dirty += alpha * (s.dirtyPagesPerSecond() - dirty);
            cpu += alpha * (s.cpuUtil() - cpu);
        }
        return HorizonForecast.flat(s.tMillis(), intervalMillis, horizon, dirty, cpu);
    }

    @Override
    public void reset() {
        primed = false;
    }
}
