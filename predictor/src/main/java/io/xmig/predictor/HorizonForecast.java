package io.xmig.predictor;

import java.util.Arrays;

/**
 * A forecast of both series for the {@code H} sampling intervals after the sample it was made at. Step {@code k}
 * (1-based) is the interval ending {@code k × intervalMillis} after that sample. Immutable.
 */
public final class HorizonForecast {
    private final long madeAtMillis;
    private final long intervalMillis;
    private final double[] dirty;
    private final double[] cpu;

    public HorizonForecast(long madeAtMillis, long intervalMillis, double[] dirtyPagesPerSecond, double[] cpuUtil) {
        if (dirtyPagesPerSecond.length == 0 || dirtyPagesPerSecond.length != cpuUtil.length) {
            throw new IllegalArgumentException("both series need the same number (> 0) of steps");
        }
        this.madeAtMillis = madeAtMillis;
        this.intervalMillis = intervalMillis;
        this.dirty = dirtyPagesPerSecond.clone();
        this.cpu = cpuUtil.clone();
    }

    /** A forecast that every future step equals the given values (last value, EWMA). */
    public static HorizonForecast flat(long madeAtMillis, long intervalMillis, int steps, double dirty, double cpu) {
        double[] d = new double[steps], c = new double[steps];
        Arrays.fill(d, dirty);
        Arrays.fill(c, cpu);
        return new HorizonForecast(madeAtMillis, intervalMillis, d, c);
    }

    public long madeAtMillis() {
        return madeAtMillis;
    }

    public long intervalMillis() {
        return intervalMillis;
    }

    public int steps() {
        return dirty.length;
    }

    /** Dirty pages per second expected in interval {@code step} (1..H). */
    public double dirty(int step) {
        return dirty[check(step) - 1];
    }

    /** CPU utilisation (0..1 per vCPU, averaged over vCPUs) expected in interval {@code step} (1..H). */
    public double cpu(int step) {
        return cpu[check(step) - 1];
    }

    /** Mean forecast dirty rate over intervals {@code from..to} (inclusive, 1-based): pages a round would dirty / s. */
    public double meanDirty(int from, int to) {
        return mean(dirty, from, to);
    }

    public double meanCpu(int from, int to) {
        return mean(cpu, from, to);
    }

    /** The step whose interval ends closest to {@code millis} after the forecast was made, clamped to 1..H. */
    public int stepAt(long millis) {
        return (int) Math.clamp(Math.round((double) millis / intervalMillis), 1, dirty.length);
    }

    public double[] dirtySeries() {
        return dirty.clone();
    }

    public double[] cpuSeries() {
        return cpu.clone();
    }

    private double mean(double[] a, int from, int to) {
        check(from);
        check(to);
        if (to < from) throw new IllegalArgumentException("empty step range " + from + ".." + to);
        double s = 0;
        for (int i = from - 1; i < to; i++) s += a[i];
        return s / (to - from + 1);
    }

    private int check(int step) {
        if (step < 1 || step > dirty.length) throw new IndexOutOfBoundsException("step " + step + " not in 1.." + dirty.length);
        return step;
    }

    @Override
    public String toString() {
        return "HorizonForecast[t=" + madeAtMillis + "ms, dirty=" + Arrays.toString(dirty) + ", cpu=" + Arrays.toString(cpu) + "]";
    }
}
