package io.xmig.predictor.eval;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.telemetry.TelemetrySample;
import io.xmig.predictor.telemetry.TelemetryTrace;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Cost of online inference, one {@code observe} per sample (docs/FORECAST.md, "Online inference"):
 * <ul>
 *   <li>back-to-back: wall-clock latency of each call after a warm-up, median / p99 / max, and the calling thread's
 *       CPU time per call (with {@code OMP_NUM_THREADS=1} the native work runs on that thread);</li>
 *   <li>paced: one call per interval for a while, and the whole process's CPU time over that wall time, as % of one
 *       core. This includes the JVM's own threads (JIT, GC), so it is an upper bound of what the forecaster adds.</li>
 * </ul>
 */
public final class InferenceBenchmark {
    private InferenceBenchmark() {
    }

    public record Result(String model, int calls, double medianMicros, double p99Micros, double maxMicros,
                         double threadCpuMicrosPerCall, int pacedCalls, long intervalMillis, double pacedProcessCpuPercent) {
        /** CPU of one core used at one call per interval, from the per-call thread CPU time. */
        public double cpuPercentAtInterval() {
            return 100 * threadCpuMicrosPerCall / (intervalMillis * 1000.0);
        }

        public String describe() {
            return String.format(Locale.ROOT, "%s: %d calls back to back: median %.1f µs, p99 %.1f µs, max %.1f µs, "
                            + "%.1f µs thread CPU per call = %.3f %% of a core at one call per %d ms; paced run of %d calls "
                            + "every %d ms: the whole JVM used %.2f %% of a core",
                    model, calls, medianMicros, p99Micros, maxMicros, threadCpuMicrosPerCall, cpuPercentAtInterval(),
                    intervalMillis, pacedCalls, intervalMillis, pacedProcessCpuPercent);
        }
    }

    public static Result run(Forecaster f, TelemetryTrace source, int warmup, int calls, int pacedCalls) throws InterruptedException {
        List<TelemetrySample> s = source.samples();
        if (s.isEmpty()) throw new IllegalArgumentException("the benchmark needs a trace with samples");
        ThreadMXBean tmx = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < warmup; i++) f.observe(s.get(i % s.size()));
        long[] ns = new long[calls];
        long cpu0 = tmx.getCurrentThreadCpuTime();
        for (int i = 0; i < calls; i++) {
            TelemetrySample x = s.get(i % s.size());
            long t0 = System.nanoTime();
            f.observe(x);
            ns[i] = System.nanoTime() - t0;
        }
        long cpu = tmx.getCurrentThreadCpuTime() - cpu0;
        Arrays.sort(ns);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long interval = f.intervalMillis();
        long p0 = os.getProcessCpuTime(), w0 = System.nanoTime();
        long next = w0;
        for (int i = 0; i < pacedCalls; i++) {
            f.observe(s.get(i % s.size()));
            next += interval * 1_000_000L;
            long sleep = next - System.nanoTime();
            if (sleep > 0) Thread.sleep(sleep / 1_000_000L, (int) (sleep % 1_000_000L));
        }
        double pacedPct = pacedCalls == 0 ? Double.NaN : 100.0 * (os.getProcessCpuTime() - p0) / (System.nanoTime() - w0);
        return new Result(f.name(), calls, ns[calls / 2] / 1e3, ns[(int) Math.min(calls - 1, Math.ceil(calls * 0.99) - 1)] / 1e3,
                ns[calls - 1] / 1e3, cpu / 1e3 / calls, pacedCalls, interval, pacedPct);
    }
}
