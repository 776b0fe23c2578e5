package io.xmig.control.policy;

import io.xmig.predictor.HorizonForecast;

import java.util.Objects;

/**
 * The predictor's view of the near future, as a policy receives it in {@link RoundStats#forecast()}: the forecaster's
 * name (for the report) and its forecast of the guest's dirty-page rate and CPU use, one value per sampling interval
 * for H intervals. Time 0 is when the forecast was made, at most one sampling interval before the decision. Beyond the
 * horizon the last step's value holds: a policy that looks further than H intervals ahead says so in its reason.
 * Immutable.
 *
 * @param forecaster      which forecaster made it, e.g. {@code lstm(bundled)}, {@code ewma(0.5)}, {@code oracle}
 * @param horizon         the forecast itself
 * @param workingSetPages the writable working set measured with it: distinct pages the guest wrote over the telemetry
 *                        window (docs/POLICIES.md, "predictive"); 0 when unknown
 * @param longRunRate     the mean dirty rate over the telemetry window, pages/s; NaN when unknown
 */
public record Forecast(String forecaster, HorizonForecast horizon, long workingSetPages, double longRunRate) {

    public Forecast {
        Objects.requireNonNull(forecaster, "forecaster");
        Objects.requireNonNull(horizon, "horizon");
        if (workingSetPages < 0) throw new IllegalArgumentException("workingSetPages must be >= 0");
        if (longRunRate < 0 || Double.isInfinite(longRunRate)) throw new IllegalArgumentException("longRunRate must be >= 0 or NaN");
    }

    /** A forecast without a long-run rate: beyond the horizon its last step holds. */
    public Forecast(String forecaster, HorizonForecast horizon, long workingSetPages) {
        this(forecaster, horizon, workingSetPages, Double.NaN);
    }

    /** A flat forecast: {@code dirtyPagesPerSecond} from now on (what a policy assumes without a predictor). */
    public static Forecast flat(String forecaster, double dirtyPagesPerSecond, long intervalMillis, int steps) {
        return new Forecast(forecaster, HorizonForecast.flat(0, intervalMillis, steps, dirtyPagesPerSecond, 0), 0);
    }

    /** Seconds the forecast covers (H intervals). */
    public double horizonSeconds() {
        return horizon.steps() * horizon.intervalMillis() / 1000.0;
    }

    /** Forecast dirty pages per second during the interval that contains {@code seconds} from now (see beyond H above). */
    public double rateAt(double seconds) {
        int step = (int) Math.floor(Math.max(0, seconds) * 1000.0 / horizon.intervalMillis()) + 1;
        if (step > horizon.steps() && !Double.isNaN(longRunRate)) return longRunRate;
        return horizon.dirty(Math.min(step, horizon.steps()));
    }

    /**
     * Page writes the forecast expects from {@code from} to {@code to} seconds from now: the integral of the
     * piecewise-constant rate (distinct pages per interval, summed over the intervals the window covers).
     */
    public double writesBetween(double from, double to) {
        if (!(to > from)) return 0;
        double interval = horizon.intervalMillis() / 1000.0, total = 0, t = Math.max(0, from);
        while (t < to) {
            double stepEnd = (Math.floor(t / interval + 1e-9) + 1) * interval;
            double end = stepEnd > horizonSeconds() ? to : Math.min(stepEnd, to);
            total += rateAt(t) * (end - t);
            t = end;
        }
        return total;
    }

    /** The mean forecast rate from {@code from} to {@code to} seconds from now. */
    public double meanRate(double from, double to) {
        return to > from ? writesBetween(from, to) / (to - from) : rateAt(from);
    }

    /** The same forecast as seen {@code seconds} later: step 1 is the interval that contains that moment. */
    public Forecast shifted(double seconds) {
        int skip = (int) Math.floor(Math.max(0, seconds) * 1000.0 / horizon.intervalMillis());
        if (skip == 0) return this;
        int n = horizon.steps();
        double[] d = new double[n], c = new double[n];
        for (int i = 0; i < n; i++) {
            int from = i + 1 + skip;
            d[i] = rateAt((from - 1) * horizon.intervalMillis() / 1000.0);
            c[i] = horizon.cpu(Math.min(n, from));
        }
        return new Forecast(forecaster, new HorizonForecast(horizon.madeAtMillis() + skip * horizon.intervalMillis(),
                horizon.intervalMillis(), d, c), workingSetPages, longRunRate);
    }
}
