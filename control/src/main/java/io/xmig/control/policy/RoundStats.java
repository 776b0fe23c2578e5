package io.xmig.control.policy;

import java.util.Objects;
import java.util.Optional;

/**
 * What one pre-copy round did, as the migration session measured it, handed to {@link SwitchPolicy#decide} right
 * after the CLEAN that follows the round. Immutable.
 *
 * @param round                   0 for the first full pass, then 1, 2, ... for each resend of the dirty pages
 * @param pagesSent               pages this round sent, zero pages included
 * @param zeroPages               of {@code pagesSent}, those sent as a zero-page marker without data
 * @param bytesSent               bytes this round put on the wire (frame headers included), over all bulk channels
 * @param pagesDirtied            pages the CLEAN after this round reported: dirtied while the round ran, so what the
 *                                next round would send (Xen's {@code xc_shadow_op_stats_t.dirty_count})
 * @param roundNanos              the round's duration, first page queued to last page acknowledged by the senders
 * @param elapsedNanos            time since the migration started, at the end of this round
 * @param bandwidthBytesPerSecond achieved in this round: {@code bytesSent / roundNanos}, 0 when nothing was measured
 *                                (see {@link #bytesPerSecond(long, long)})
 * @param bytesRemaining          what stop-and-copy would have to send now: {@code pagesDirtied × pageSize}
 * @param guestPages              the guest's size in pages (Xen's {@code p2m_size})
 * @param pageSize                bytes per page (4096)
 * @param hotSetPages             pages the clusterer holds back as the writable working set; 0 until clustering exists
 * @param forecast                the latest forecast of the session's feed (io.xmig.control.telemetry.ForecastFeed),
 *                                read right after the round's CLEAN; empty when no forecaster runs
 */
public record RoundStats(int round, long pagesSent, long zeroPages, long bytesSent, long pagesDirtied,
                         long roundNanos, long elapsedNanos, double bandwidthBytesPerSecond, long bytesRemaining,
                         long guestPages, int pageSize, long hotSetPages, Optional<Forecast> forecast) {

    public RoundStats {
        if (round < 0) throw new IllegalArgumentException("round must be >= 0, not " + round);
        requireNonNegative("pagesSent", pagesSent);
        requireNonNegative("zeroPages", zeroPages);
        requireNonNegative("bytesSent", bytesSent);
        requireNonNegative("pagesDirtied", pagesDirtied);
        requireNonNegative("roundNanos", roundNanos);
        requireNonNegative("elapsedNanos", elapsedNanos);
        requireNonNegative("bytesRemaining", bytesRemaining);
        requireNonNegative("guestPages", guestPages);
        requireNonNegative("hotSetPages", hotSetPages);
        if (pageSize <= 0) throw new IllegalArgumentException("pageSize must be > 0, not " + pageSize);
        if (!(bandwidthBytesPerSecond >= 0) || Double.isInfinite(bandwidthBytesPerSecond)) {
            throw new IllegalArgumentException("bandwidthBytesPerSecond must be finite and >= 0, not "
                    + bandwidthBytesPerSecond + " (use RoundStats.bytesPerSecond)");
        }
        Objects.requireNonNull(forecast, "forecast (Optional.empty() when there is none)");
    }

    /** {@code bytes / nanos} in bytes per second, 0 when the interval is not positive (nothing can be measured). */
    public static double bytesPerSecond(long bytes, long nanos) {
        return nanos > 0 ? bytes * 1e9 / nanos : 0;
    }

    private static void requireNonNegative(String name, long value) {
        if (value < 0) throw new IllegalArgumentException(name + " must be >= 0, not " + value);
    }
}
