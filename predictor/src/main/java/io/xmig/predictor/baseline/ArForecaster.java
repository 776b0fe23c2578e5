package io.xmig.predictor.baseline;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;

/**
 * A linear autoregressive forecaster fitted online, one model per series and per horizon ("direct" multi-step):
 * {@code x(t+k) = a_k + Σ_{j<p} b_kj x(t−j)}, fitted by ridge-regularised least squares over the last {@code window}
 * samples each time a sample arrives. Needs no training; it learns the guest it watches.
 *
 * <p>Values are standardised over the window before fitting (so one ridge constant fits pages/s and CPU alike), and a
 * forecast is clamped to {@code [0, 1.5 × window max]}: a least-squares line through a burst must not extrapolate to
 * rates the guest never showed. Until {@code p + k + 2} samples exist for horizon {@code k}, that horizon falls back to
 * the last value.
 */
public final class ArForecaster implements Forecaster {
    /** p and the window chosen on the validation traces (docs/FORECAST.md, "Baselines"). */
    public static final int DEFAULT_LAGS = 4;
    public static final int DEFAULT_WINDOW = 80;
    private static final double RIDGE = 0.1;

    private final long intervalMillis;
    private final int horizon, lags, window;
    private final double[] dirtyHist, cpuHist;   // ring buffers of the last `window` values
    private int count;                            // samples seen (saturates at window)
    private int head;                             // index of the next write
    private final double[][] a;
    private final double[] b, coef;

    public ArForecaster(long intervalMillis, int horizonSteps, int lags, int window) {
        Baselines.check(intervalMillis, horizonSteps);
        if (lags < 1) throw new IllegalArgumentException("lags must be >= 1: " + lags);
        if (window < lags + horizonSteps + 2) {
            throw new IllegalArgumentException("window " + window + " too short for " + lags + " lags and horizon " + horizonSteps);
        }
        this.intervalMillis = intervalMillis;
        this.horizon = horizonSteps;
        this.lags = lags;
        this.window = window;
        this.dirtyHist = new double[window];
        this.cpuHist = new double[window];
        this.a = new double[lags + 1][lags + 1];
        this.b = new double[lags + 1];
        this.coef = new double[lags + 1];
    }

    public ArForecaster(long intervalMillis, int horizonSteps) {
        this(intervalMillis, horizonSteps, DEFAULT_LAGS, Math.max(DEFAULT_WINDOW, DEFAULT_LAGS + horizonSteps + 8));
    }

    @Override
    public String name() {
        return "ar(p=" + lags + ",w=" + window + ")";
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
        dirtyHist[head] = s.dirtyPagesPerSecond();
        cpuHist[head] = s.cpuUtil();
        head = (head + 1) % window;
        if (count < window) count++;
        return new HorizonForecast(s.tMillis(), intervalMillis, forecast(dirtyHist), forecast(cpuHist));
    }

    @Override
    public void reset() {
        count = 0;
        head = 0;
    }

    /** value i samples ago (0 = newest). */
    private double ago(double[] h, int i) {
        return h[Math.floorMod(head - 1 - i, window)];
    }

    private double[] forecast(double[] h) {
        double[] out = new double[horizon];
        double last = ago(h, 0);
        double mean = 0, max = 0;
        for (int i = 0; i < count; i++) {
            mean += ago(h, i);
            max = Math.max(max, ago(h, i));
        }
        mean /= count;
        double var = 0;
        for (int i = 0; i < count; i++) var += (ago(h, i) - mean) * (ago(h, i) - mean);
        double sd = Math.sqrt(var / count);
        if (sd <= 1e-9 * Math.max(1, Math.abs(mean))) {
            java.util.Arrays.fill(out, last);
            return out;
        }
        int n = lags + 1;
        for (int k = 1; k <= horizon; k++) {
            // training pairs: predictors end at `ago = k + j`, target at `ago = j`, j = 0.., needing lags values
            int pairs = count - k - lags + 1;
            if (pairs < lags + 2) {
                out[k - 1] = last;
                continue;
            }
            for (double[] row : a) java.util.Arrays.fill(row, 0);
            java.util.Arrays.fill(b, 0);
            for (int j = 0; j < pairs; j++) {
                double y = (ago(h, j) - mean) / sd;
                for (int r = 0; r < n; r++) {
                    double xr = r == 0 ? 1 : (ago(h, j + k + r - 1) - mean) / sd;
                    b[r] += xr * y;
                    for (int c = 0; c < n; c++) {
                        double xc = c == 0 ? 1 : (ago(h, j + k + c - 1) - mean) / sd;
                        a[r][c] += xr * xc;
                    }
                }
            }
            for (int r = 1; r < n; r++) a[r][r] += RIDGE * pairs / (double) window;
            if (!solve(a, b, coef)) {
                out[k - 1] = last;
                continue;
            }
            double z = coef[0];
            for (int r = 1; r < n; r++) z += coef[r] * (ago(h, r - 1) - mean) / sd;
            out[k - 1] = Math.clamp(mean + z * sd, 0, 1.5 * max);
        }
        return out;
    }

    /** Gaussian elimination with partial pivoting; {@code a} and {@code b} are destroyed. False if singular. */
    static boolean solve(double[][] a, double[] b, double[] x) {
        int n = b.length;
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[piv][col])) piv = r;
            if (Math.abs(a[piv][col]) < 1e-12) return false;
            double[] t = a[col]; a[col] = a[piv]; a[piv] = t;
            double tb = b[col]; b[col] = b[piv]; b[piv] = tb;
            for (int r = col + 1; r < n; r++) {
                double f = a[r][col] / a[col][col];
                if (f == 0) continue;
                for (int c = col; c < n; c++) a[r][c] -= f * a[col][c];
                b[r] -= f * b[col];
            }
        }
        for (int r = n - 1; r >= 0; r--) {
            double s = b[r];
            for (int c = r + 1; c < n; c++) s -= a[r][c] * x[c];
            x[r] = s / a[r][r];
        }
        return true;
    }
}
