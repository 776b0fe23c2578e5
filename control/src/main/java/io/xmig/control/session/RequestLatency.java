package io.xmig.control.session;

import io.xmig.dataplane.hypervisor.GuestSimulator;

/**
 * Percentiles of a kv workload's request latencies from the simulator's log-linear histogram (buckets 1/8 of a power
 * of two wide; a percentile is reported as its bucket's lower bound, so up to 12.5 % low). Stateless.
 */
public record RequestLatency(long requests, double p50Micros, double p99Micros) {

    public static RequestLatency of(long[] histogram) {
        long n = 0;
        for (long c : histogram) n += c;
        return new RequestLatency(n, percentile(histogram, n, 0.50) / 1e3, percentile(histogram, n, 0.99) / 1e3);
    }

    /** The sum of two histograms (a guest measured on the source, then on the destination). */
    public static long[] sum(long[] a, long[] b) {
        long[] s = a.clone();
        for (int i = 0; i < s.length && i < b.length; i++) s[i] += b[i];
        return s;
    }

    private static double percentile(long[] h, long n, double q) {
        if (n == 0) return 0;
        long rank = (long) Math.ceil(q * n), seen = 0;
        for (int i = 0; i < h.length; i++) {
            seen += h[i];
            if (seen >= rank) return GuestSimulator.latencyBucketLow(i);
        }
        return GuestSimulator.latencyBucketLow(h.length - 1);
    }
}
