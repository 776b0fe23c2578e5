package io.xmig.control.telemetry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The workload families of the forecasting dataset and how a seed draws each one's parameters
 * (docs/FORECAST.md, "Traces"). Deterministic: the same family and seed give the same spec and replay curve.
 *
 * <p>Simulator workloads used as they are: {@code phased} (regular quiet/burst cycles), {@code kv}, {@code hotcold},
 * {@code sweep}, {@code random}, {@code cpu}. Replayed from a rate curve drawn here ({@code trace:} workload, one
 * sample per second): {@code bursty} (irregular short bursts, each preceded by a CPU-busy second with a per-seed
 * probability: a compute-then-write job), {@code diurnal} (a slow sinusoid with multiplicative noise, CPU following
 * the rate with a per-seed lead or lag), and {@code sawtooth} (slow ramps with sudden drops; the split rule holds
 * this family out whole, so no model trains on it).
 */
public final class TraceCatalog {
    public static final List<String> FAMILIES = List.of("phased", "bursty", "diurnal", "kv", "hotcold", "sweep", "random", "cpu", "sawtooth");
    public static final long MEMORY_MIB = 128;

    private TraceCatalog() {
    }

    public static TraceSpec spec(String family, long seed, int durationSeconds) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ family.hashCode());
        Map<String, String> p = new LinkedHashMap<>();
        int seconds = durationSeconds + 2;
        String w = switch (family) {
            case "phased" -> {
                long rate = k(r, 10, 60), quietRate = r.nextLong(100, 3001);
                int quiet = 250 * r.nextInt(4, 25), burst = 250 * r.nextInt(2, 13);
                String ws = pick(r, "32M", "64M", "96M");
                yield String.format("phased:rate=%d,quiet=%dms,burst=%dms,quiet_rate=%d,ws=%s", rate, quiet, burst, quietRate, ws);
            }
            case "kv" -> String.format(Locale.ROOT, "kv:rps=%d,put=%.2f,ws=%s", k(r, 2, 40), r.nextDouble(0.05, 0.5), pick(r, "32M", "64M", "96M"));
            case "hotcold" -> String.format(Locale.ROOT, "hotcold:rate=%d,ws=%s,hot=%dM,hot_share=%.2f", k(r, 5, 60),
                    pick(r, "64M", "96M"), r.nextInt(2, 17), r.nextDouble(0.6, 0.95));
            case "sweep" -> String.format("sweep:rate=%d,ws=%s", k(r, 2, 40), pick(r, "16M", "32M", "64M", "96M"));
            case "random" -> String.format("random:rate=%d,ws=%s", k(r, 2, 60), pick(r, "8M", "16M", "32M", "64M", "96M"));
            case "cpu" -> String.format(Locale.ROOT, "cpu:util=%.2f", r.nextDouble(0.1, 0.8));
            case "bursty", "diurnal", "sawtooth" -> "trace:file=" + TraceSpec.REPLAY_FILE + ",ws=" + pick(r, "64M", "96M");
            default -> throw new IllegalArgumentException("unknown workload family '" + family + "' (" + String.join(", ", FAMILIES) + ")");
        };
        String replay = switch (family) {
            case "bursty" -> bursty(r, seconds, p);
            case "diurnal" -> diurnal(r, seconds, p);
            case "sawtooth" -> sawtooth(r, seconds, p);
            default -> null;
        };
        return new TraceSpec(family, seed, MEMORY_MIB, w, replay, p);
    }

    /** Short irregular bursts; before each, with probability {@code lead}, one CPU-busy second at the quiet rate. */
    private static String bursty(SplittableRandom r, int seconds, Map<String, String> p) {
        double base = r.nextDouble(100, 2000), peakLo = r.nextDouble(8_000, 30_000), peakHi = peakLo * r.nextDouble(1.2, 2.0);
        double meanGap = r.nextDouble(3, 8), lead = r.nextDouble(0.5, 1.0), u0 = r.nextDouble(0.02, 0.1);
        p.put("base_rate", fmt(base));
        p.put("burst_rate", fmt(peakLo) + ".." + fmt(peakHi));
        p.put("mean_gap_s", fmt(meanGap));
        p.put("cpu_lead_probability", fmt(lead));
        double[] rate = new double[seconds], util = new double[seconds];
        int t = 0;
        while (t < seconds) {
            int gap = Math.max(1, (int) Math.round(-meanGap * Math.log(1 - r.nextDouble())));
            for (int i = 0; i < gap && t < seconds; i++, t++) {
                rate[t] = base * r.nextDouble(0.8, 1.2);
                util[t] = u0;
            }
            if (t < seconds && r.nextDouble() < lead) util[t - 1 < 0 ? 0 : t - 1] = r.nextDouble(0.4, 0.7);
            int len = r.nextInt(1, 4);
            double peak = r.nextDouble(peakLo, peakHi), bu = r.nextDouble(0.1, 0.3);
            for (int i = 0; i < len && t < seconds; i++, t++) {
                rate[t] = peak;
                util[t] = bu;
            }
        }
        return curve(rate, util);
    }

    /** {@code lo + (hi − lo)(1 + sin(2πt/P + φ))/2}, times log-normal noise; CPU follows the shape shifted by a lead. */
    private static String diurnal(SplittableRandom r, int seconds, Map<String, String> p) {
        double lo = r.nextDouble(200, 2000), hi = r.nextDouble(10_000, 50_000), period = r.nextDouble(20, 50);
        double phase = r.nextDouble(0, 2 * Math.PI), sigma = r.nextDouble(0.05, 0.3), amp = r.nextDouble(0.2, 0.5);
        int lead = r.nextInt(-2, 3);
        p.put("low_rate", fmt(lo));
        p.put("high_rate", fmt(hi));
        p.put("period_s", fmt(period));
        p.put("noise_sigma", fmt(sigma));
        p.put("cpu_lead_s", Integer.toString(lead));
        double[] rate = new double[seconds], util = new double[seconds];
        for (int t = 0; t < seconds; t++) {
            double shape = (1 + Math.sin(2 * Math.PI * t / period + phase)) / 2;
            double cpuShape = (1 + Math.sin(2 * Math.PI * (t + lead) / period + phase)) / 2;
            rate[t] = (lo + (hi - lo) * shape) * Math.exp(sigma * gaussian(r) - sigma * sigma / 2);
            util[t] = Math.clamp(0.03 + amp * cpuShape + 0.02 * gaussian(r), 0, 1);
        }
        return curve(rate, util);
    }

    /** Linear ramps from a low to a high rate over R seconds, then a drop to the low rate. */
    private static String sawtooth(SplittableRandom r, int seconds, Map<String, String> p) {
        double lo = r.nextDouble(200, 2000), hi = r.nextDouble(15_000, 50_000);
        int ramp = r.nextInt(5, 16);
        p.put("low_rate", fmt(lo));
        p.put("high_rate", fmt(hi));
        p.put("ramp_s", Integer.toString(ramp));
        double[] rate = new double[seconds], util = new double[seconds];
        for (int t = 0; t < seconds; t++) {
            double f = (t % (ramp + 1)) / (double) ramp;
            rate[t] = lo + (hi - lo) * Math.min(1, f);
            util[t] = 0.05 + 0.3 * Math.min(1, f);
        }
        return curve(rate, util);
    }

    private static String curve(double[] rate, double[] util) {
        StringBuilder b = new StringBuilder("time,rate,util\n");
        for (int t = 0; t < rate.length; t++) b.append(String.format(Locale.ROOT, "%d,%.0f,%.3f%n", t, rate[t], util[t]));
        return b.toString();
    }

    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static long k(SplittableRandom r, int loK, int hiK) {
        return 500L * r.nextInt(loK * 2, hiK * 2 + 1);
    }

    private static String pick(SplittableRandom r, String... choices) {
        return choices[r.nextInt(choices.length)];
    }

    private static String fmt(double x) {
        return String.format(Locale.ROOT, "%.2f", x);
    }
}
