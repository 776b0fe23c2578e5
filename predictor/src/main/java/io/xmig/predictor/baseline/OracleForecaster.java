package io.xmig.predictor.baseline;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;
import io.xmig.predictor.telemetry.TelemetryTrace;

import java.util.List;

/**
 * The oracle of the ablation: it "forecasts" by reading the future from a trace of the same seeded guest recorded
 * beforehand (same workload spec, seed and sampling interval, sampled from its start as the live guest is). The forecast
 * made at a sample of time {@code t} is the recorded values of the intervals ending at {@code t + k × interval};
 * past the recording's end it holds the last recorded value. Not a forecaster anyone can run in production: it bounds
 * what a perfect forecast would give the predictive policy. Not thread-safe (one sampling thread), like every
 * forecaster.
 */
public final class OracleForecaster implements Forecaster {
    private final TelemetryTrace future;
    private final int horizon;

    public OracleForecaster(TelemetryTrace future, int horizonSteps) {
        Baselines.check(future.intervalMillis(), horizonSteps);
        if (future.size() == 0) throw new IllegalArgumentException("the oracle needs a recorded trace with samples");
        this.future = future;
        this.horizon = horizonSteps;
    }

    @Override
    public String name() {
        return "oracle(" + future.name() + ")";
    }

    @Override
    public long intervalMillis() {
        return future.intervalMillis();
    }

    @Override
    public int horizonSteps() {
        return horizon;
    }

    @Override
    public HorizonForecast observe(TelemetrySample s) {
        List<TelemetrySample> rows = future.samples();
        int now = nearest(rows, s.tMillis());
        double[] d = new double[horizon], c = new double[horizon];
        for (int k = 1; k <= horizon; k++) {
            TelemetrySample r = rows.get(Math.min(rows.size() - 1, now + k));
            d[k - 1] = r.dirtyPagesPerSecond();
            c[k - 1] = r.cpuUtil();
        }
        return new HorizonForecast(s.tMillis(), future.intervalMillis(), d, c);
    }

    /** Index of the recorded sample whose time is nearest {@code t} (rows are in time order). */
    private static int nearest(List<TelemetrySample> rows, long t) {
        int lo = 0, hi = rows.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (rows.get(mid).tMillis() < t) lo = mid + 1; else hi = mid;
        }
        if (lo > 0 && t - rows.get(lo - 1).tMillis() < rows.get(lo).tMillis() - t) lo--;
        return lo;
    }

    @Override
    public void reset() {
    }
}
