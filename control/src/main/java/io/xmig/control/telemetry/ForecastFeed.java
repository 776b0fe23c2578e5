package io.xmig.control.telemetry;

import io.xmig.control.policy.Forecast;
import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import io.xmig.predictor.telemetry.TelemetryTrace;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Online inference (docs/FORECAST.md, "Online"): one thread ({@code xmig-forecast}) samples the guest every
 * {@link Forecaster#intervalMillis()} with a {@link GuestSampler}, feeds the sample to the {@link Forecaster} (one
 * {@code observe} per sample: for the LSTM one {@code rnnTimeStep}) and publishes the result as the latest
 * {@link Forecast}, with the working set the sampler measured. The migration session reads {@link #latest()} after each
 * round; {@code xmig plan} and {@code --start-when quiet} read it before the migration.
 *
 * <p>The sampler and the forecaster are touched by the feed thread only, and closed by {@link #close()} after it
 * stopped. The inference time of every sample is kept (in a preallocated array: nothing allocated per sample beyond
 * what the forecaster allocates) with the feed thread's CPU time, for {@link #stats()}.
 */
public final class ForecastFeed implements AutoCloseable {
    private static final int MAX_TIMED = 1 << 16;

    /**
     * Inference cost: samples fed; wall time per {@code observe} (p50, p99, max: includes waiting for a core on a busy
     * machine); CPU time per {@code observe} (p50, p99: the cost itself); the feed thread's share of one core (sampling
     * included).
     */
    public record Stats(long samples, double p50Micros, double p99Micros, double maxMicros, double cpuP50Micros,
                        double cpuP99Micros, double cpuShareOfACore) {}

    private final GuestSampler sampler;
    private final Forecaster forecaster;
    private final String description;
    private final ScheduledExecutorService timer;
    private final long[] inferenceNanos = new long[MAX_TIMED];
    private final long[] inferenceCpuNanos = new long[MAX_TIMED];
    private final double[] recentRates = new double[ForecastSources.WORKING_SET_SAMPLES];  // feed thread only
    private final long startedAt = System.nanoTime();
    private long timed;                                    // guarded by this
    private long cpuNanos;                                 // guarded by this
    private volatile Forecast latest;
    private volatile TelemetrySample lastSample;
    private volatile RuntimeException failure;
    private volatile long samples;
    private volatile LongSupplier bytesOnTheWire;
    private long lastBytes;                                // feed thread only
    private final List<TelemetrySample> recorded = new ArrayList<>();   // guarded by this
    private boolean closed;

    private ForecastFeed(GuestSampler sampler, Forecaster forecaster, String description) {
        this.sampler = sampler;
        this.forecaster = forecaster;
        this.description = description;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "xmig-forecast");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts feeding: the first sample is taken one interval from now. The feed owns both arguments from here on and
     * closes them.
     *
     * @param description what the report calls the forecaster, e.g. {@code lstm(bundled)} or the fallback's story
     */
    public static ForecastFeed start(GuestSampler sampler, Forecaster forecaster, String description) {
        ForecastFeed f = new ForecastFeed(sampler, forecaster, description);
        long interval = forecaster.intervalMillis();
        f.timer.scheduleAtFixedRate(f::tick, interval, interval, TimeUnit.MILLISECONDS);
        return f;
    }

    private void tick() {
        if (failure != null) return;
        try {
            TelemetrySample s = withBandwidth(sampler.sample());
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
            HorizonForecast h = forecaster.observe(s);
            long dt = System.nanoTime() - t0, dc = mx.getCurrentThreadCpuTime() - c0;
            int n = (int) Math.min(samples + 1, recentRates.length);
            recentRates[(int) (samples % recentRates.length)] = s.dirtyPagesPerSecond();
            double sum = 0;
            for (int i = 0; i < n; i++) sum += recentRates[i];
            latest = new Forecast(description, h, s.hotSetPages(), sum / n);
            lastSample = s;
            synchronized (this) {
                if (recorded.size() < MAX_TIMED) recorded.add(s);
                if (timed < MAX_TIMED) {
                    inferenceNanos[(int) timed] = dt;
                    inferenceCpuNanos[(int) timed] = dc;
                }
                timed++;
                cpuNanos = mx.isCurrentThreadCpuTimeSupported() ? mx.getCurrentThreadCpuTime() : 0;
            }
            samples++;
        } catch (RuntimeException e) {
            failure = e;                                   // the policy falls back to round rates; the caller can ask why
            latest = null;
        }
    }

    /** The migration's bandwidth in each sample from here on: {@code bytes} counts bytes on the wire (any thread). */
    public void measureBandwidth(LongSupplier bytes) {
        this.bytesOnTheWire = bytes;
    }

    private TelemetrySample withBandwidth(TelemetrySample s) {
        LongSupplier b = bytesOnTheWire;
        if (b == null) return s;
        long now = b.getAsLong(), delta = Math.max(0, now - lastBytes);
        lastBytes = now;
        return new TelemetrySample(s.tMillis(), s.dirtyPagesPerSecond(), s.cpuUtil(), s.hotSetPages(),
                delta * 1000.0 / forecaster.intervalMillis());
    }

    /** Every sample fed so far (the first {@value #MAX_TIMED}) as a telemetry trace, for a CSV (docs/FORECAST.md). */
    public synchronized TelemetryTrace trace(String family, long seed, java.util.Map<String, String> metadata) {
        return new TelemetryTrace(family, seed, forecaster.intervalMillis(), metadata, recorded);
    }

    /** The forecaster as the report names it. */
    public String forecaster() {
        return description;
    }

    /** The latest forecast; empty before the first sample or after the feed failed. */
    public Optional<Forecast> latest() {
        return Optional.ofNullable(latest);
    }

    /** The latest telemetry sample; empty before the first. */
    public Optional<TelemetrySample> lastSample() {
        return Optional.ofNullable(lastSample);
    }

    /** Why the feed stopped, if it failed. */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure);
    }

    public long samples() {
        return samples;
    }

    /** Waits until {@code n} samples were fed (or the feed failed, or {@code max} passed); true if they were. */
    public boolean awaitSamples(long n, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        while (samples < n && failure == null) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(Math.max(1, Math.min(50, forecaster.intervalMillis() / 4)));
        }
        return samples >= n;
    }

    /** Inference time per sample so far (the first {@value #MAX_TIMED}), and the feed thread's CPU share. */
    public synchronized Stats stats() {
        int n = (int) Math.min(timed, MAX_TIMED);
        if (n == 0) return new Stats(0, 0, 0, 0, 0, 0, 0);
        long[] sorted = Arrays.copyOf(inferenceNanos, n), cpu = Arrays.copyOf(inferenceCpuNanos, n);
        Arrays.sort(sorted);
        Arrays.sort(cpu);
        int p99 = Math.min(n - 1, (int) Math.ceil(n * 0.99) - 1);
        double wall = Math.max(1, System.nanoTime() - startedAt);
        return new Stats(timed, sorted[n / 2] / 1e3, sorted[p99] / 1e3, sorted[n - 1] / 1e3, cpu[n / 2] / 1e3,
                cpu[p99] / 1e3, cpuNanos / wall);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        timer.shutdown();
        try {
            if (!timer.awaitTermination(10, TimeUnit.SECONDS)) timer.shutdownNow();
        } catch (InterruptedException e) {
            timer.shutdownNow();
            Thread.currentThread().interrupt();
        }
        try {
            forecaster.close();
        } finally {
            sampler.close();
        }
    }
}
