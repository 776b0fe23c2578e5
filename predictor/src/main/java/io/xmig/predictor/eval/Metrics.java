package io.xmig.predictor.eval;

/**
 * Error of point forecasts against what happened, accumulated one pair at a time. WAPE (weighted absolute percentage
 * error) is {@code Σ|forecast − actual| / Σ|actual|}: the absolute error as a share of the volume, which, unlike MAPE,
 * stays defined when the actual rate is 0 and does not let quiet intervals dominate. Not thread-safe.
 */
public final class Metrics {
    private long n;
    private double sumAbs, sumSq, sumActual;

    public void add(double forecast, double actual) {
        double e = forecast - actual;
        n++;
        sumAbs += Math.abs(e);
        sumSq += e * e;
        sumActual += Math.abs(actual);
    }

    public void addAll(Metrics m) {
        n += m.n;
        sumAbs += m.sumAbs;
        sumSq += m.sumSq;
        sumActual += m.sumActual;
    }

    public long count() {
        return n;
    }

    public double mae() {
        return n == 0 ? Double.NaN : sumAbs / n;
    }

    public double rmse() {
        return n == 0 ? Double.NaN : Math.sqrt(sumSq / n);
    }

    /** NaN when nothing happened (every actual 0): there is no volume to be a share of. */
    public double wape() {
        return sumActual == 0 ? Double.NaN : sumAbs / sumActual;
    }
}
