package io.xmig.predictor.lstm;

import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.baseline.ArForecaster;
import io.xmig.predictor.telemetry.TelemetrySample;

import java.util.List;

/**
 * Turns the stream of (dirty rate, CPU) samples into the LSTM's input features, one sample at a time, exactly the
 * same way in training (run over a trace from its first sample) and online (fed by the sampler). Stateful; one per
 * guest. Unscaled: {@link Normaliser} standardises the result.
 *
 * <p>Dirty rates span five orders of magnitude (an idle guest to a burst), so the rate enters as {@code log1p};
 * the targets are changes of {@code log1p(rate)}, which makes "stays the same" the zero output.
 */
public final class FeatureExtractor {
    /** Feature names, in input order; saved with the model so a model and its code cannot drift apart. */
    public static final List<String> NAMES = List.of(
            "log1p_dirty",        // level
            "d_log1p_dirty",      // change since the previous sample
            "cpu",
            "d_cpu",
            "log1p_dirty_vs_slow",// level against a slow EWMA (α = 1/20): "above or below the usual"
            "cpu_vs_slow",
            "since_rise",         // intervals since log1p(dirty) jumped up by more than JUMP, /SINCE_CAP, capped at 1
            "since_fall",         // same for a drop
            "in_burst",           // 1 between a jump up and the next jump down
            "last_burst_len",     // intervals between the last jump up and the jump down after it, /SINCE_CAP (1: none yet)
            "last_quiet_len",     // intervals between the last jump down and the jump up after it, /SINCE_CAP (1: none yet)
            "ar_1s",              // the online AR baseline's forecast of log1p(dirty) 4 / 12 / 20 intervals ahead,
            "ar_3s",              // minus log1p(dirty) now: a periodicity-aware opinion the LSTM can weigh
            "ar_5s");
    public static final int COUNT = NAMES.size();

    /** A jump of log1p(rate) by more than 1 (× e ≈ 2.7 for large rates) within two intervals marks a regime change. */
    static final double JUMP = 1.0;
    static final int SINCE_CAP = 120;
    private static final double SLOW = 1.0 / 20;

    private boolean primed;
    private double ld1, ld2, cpu1, slowLd, slowCpu;
    private int sinceRise, sinceFall, inRegime, lastBurst, lastQuiet;
    private boolean burst;
    private final ArForecaster ar = new ArForecaster(1, AR_STEPS[AR_STEPS.length - 1]);
    private static final int[] AR_STEPS = {4, 12, 20};

    /** Features of the next sample into {@code out[0..COUNT)}. */
    public void next(double dirtyPagesPerSecond, double cpuUtil, double[] out) {
        double ld = Math.log1p(Math.max(0, dirtyPagesPerSecond));
        double cpu = Math.max(0, cpuUtil);
        if (!primed) {
            ld1 = ld2 = slowLd = ld;
            cpu1 = slowCpu = cpu;
            sinceRise = sinceFall = lastBurst = lastQuiet = inRegime = SINCE_CAP;
            burst = false;
            primed = true;
        }
        boolean rise = ld - Math.min(ld1, ld2) > JUMP, fall = Math.max(ld1, ld2) - ld > JUMP;
        sinceRise = rise ? 0 : Math.min(SINCE_CAP, sinceRise + 1);
        sinceFall = fall ? 0 : Math.min(SINCE_CAP, sinceFall + 1);
        inRegime = Math.min(SINCE_CAP, inRegime + 1);
        // a jump spans two samples when it falls inside one: only the first of them changes the regime
        if (rise && !burst) {
            lastQuiet = inRegime;
            burst = true;
            inRegime = 0;
        } else if (fall && burst) {
            lastBurst = inRegime;
            burst = false;
            inRegime = 0;
        }
        slowLd += SLOW * (ld - slowLd);
        slowCpu += SLOW * (cpu - slowCpu);
        out[0] = ld;
        out[1] = ld - ld1;
        out[2] = cpu;
        out[3] = cpu - cpu1;
        out[4] = ld - slowLd;
        out[5] = cpu - slowCpu;
        out[6] = sinceRise / (double) SINCE_CAP;
        out[7] = sinceFall / (double) SINCE_CAP;
        out[8] = burst ? 1 : 0;
        out[9] = lastBurst / (double) SINCE_CAP;
        out[10] = lastQuiet / (double) SINCE_CAP;
        HorizonForecast f = ar.observe(TelemetrySample.of(0, Math.max(0, dirtyPagesPerSecond), cpu));
        for (int i = 0; i < AR_STEPS.length; i++) out[11 + i] = Math.log1p(f.dirty(AR_STEPS[i])) - ld;
        ld2 = ld1;
        ld1 = ld;
        cpu1 = cpu;
    }

    public void reset() {
        primed = false;
        ar.reset();
    }

    /** Features of a whole series from its first sample: {@code [t][feature]}. */
    public static double[][] ofSeries(double[] dirty, double[] cpu, int from) {
        FeatureExtractor fx = new FeatureExtractor();
        double[][] f = new double[dirty.length - from][COUNT];
        for (int t = from; t < dirty.length; t++) fx.next(dirty[t], cpu[t], f[t - from]);
        return f;
    }

    /** Training targets of step {@code t}: {@code log1p(d[t+k]) − log1p(d[t])} for k = 1..H, then {@code cpu[t+k] − cpu[t]}. */
    public static void targets(double[] dirty, double[] cpu, int t, int horizon, double[] out) {
        double ld = Math.log1p(dirty[t]);
        for (int k = 1; k <= horizon; k++) {
            out[k - 1] = Math.log1p(dirty[t + k]) - ld;
            out[horizon + k - 1] = cpu[t + k] - cpu[t];
        }
    }
}
