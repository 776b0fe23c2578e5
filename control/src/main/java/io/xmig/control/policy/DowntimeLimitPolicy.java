package io.xmig.control.policy;

import java.util.List;
import java.util.Locale;

import static io.xmig.control.policy.Reasons.count;
import static io.xmig.control.policy.Reasons.millis;
import static io.xmig.control.policy.Reasons.rate;

/**
 * {@code downtime-limit}: QEMU's rule. Stop and copy as soon as what is still dirty could be sent within the
 * downtime limit at the bandwidth just measured; QEMU's {@code migration/migration.c}:
 * <pre>
 * bandwidth = (double)transferred / time_spent;                               // migration_update_counters()
 * s->threshold_size = expected_bw_per_ms * migrate_downtime_limit();
 * complete_ready = can_switchover &amp;&amp; (pending_size &lt;= s->threshold_size);    // migration_iteration_run()
 * </pre>
 * where {@code pending_size} is, for RAM, {@code rs->migration_dirty_pages * TARGET_PAGE_SIZE}
 * ({@code ram_state_pending_exact()} in {@code migration/ram.c}) and the default limit is
 * {@code DEFAULT_MIGRATE_SET_DOWNTIME 300} ms ({@code migration/options.c}). Here: STOP_AND_COPY when
 * {@code latest.bytesRemaining() <= latest.bandwidthBytesPerSecond() × limit}, i.e. when the expected downtime
 * {@code bytesRemaining / bandwidth} is at most the limit.
 *
 * <p>Differences from QEMU, all deliberate: QEMU re-measures bandwidth every 100 ms ({@code BUFFER_DELAY}) and checks
 * after every slice of a pass; xmig's policies see whole rounds, so the bandwidth is the latest round's and the check
 * happens at each round's end, on the exact count of the CLEAN (QEMU's {@code pending_exact} path). A round with no
 * measurable bandwidth (it sent nothing, or took no measurable time) gives a threshold of 0, as a QEMU slice that
 * transferred nothing does: then only an empty dirty set stops the migration.
 *
 * <p>QEMU has no round cap: a guest that dirties faster than the link drains iterates until someone cancels it. This
 * policy stops after {@code max-rounds} rounds (round 0 counted) and then does what {@code on-cap} says:
 * {@link OnCap#ABORT} (the default) gives up and leaves the guest running on the source, because stopping anyway
 * would exceed the downtime the user asked for without telling them beforehand; {@link OnCap#STOP} stops and copies
 * anyway, accepting the longer downtime. The downtime rule is checked first, so a round that meets it stops even at
 * the cap.
 *
 * <p>Immutable and stateless.
 */
public final class DowntimeLimitPolicy implements SwitchPolicy {
    public static final String NAME = "downtime-limit";
    /** QEMU's {@code DEFAULT_MIGRATE_SET_DOWNTIME}: 300 ms. */
    public static final long DEFAULT_LIMIT_NANOS = 300_000_000L;
    /** QEMU's {@code MAX_MIGRATE_DOWNTIME_SECONDS}: 2000 s. */
    public static final long MAX_LIMIT_NANOS = 2000L * 1_000_000_000L;
    public static final int DEFAULT_MAX_ROUNDS = 30;
    public static final OnCap DEFAULT_ON_CAP = OnCap.ABORT;

    /** What to do when {@code max-rounds} rounds were sent and the downtime rule is still not met. */
    public enum OnCap {
        /** Give up; the guest keeps running on the source. */
        ABORT,
        /** Stop and copy anyway, exceeding the downtime limit. */
        STOP;

        /** As written on the command line: {@code abort} or {@code stop}. */
        public String spec() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final long limitNanos;
    private final int maxRounds;
    private final OnCap onCap;

    /** QEMU's defaults: 300 ms, with a cap of 30 rounds that aborts. */
    public DowntimeLimitPolicy() {
        this(DEFAULT_LIMIT_NANOS, DEFAULT_MAX_ROUNDS, DEFAULT_ON_CAP);
    }

    /**
     * @param limitNanos the downtime limit, 0..2000 s
     * @param maxRounds  rounds (round 0 included) after which {@code onCap} applies, at least 1
     * @param onCap      what to do at the cap
     */
    public DowntimeLimitPolicy(long limitNanos, int maxRounds, OnCap onCap) {
        if (limitNanos < 0 || limitNanos > MAX_LIMIT_NANOS) {
            throw new IllegalArgumentException("downtime limit must be 0..2000 s, not " + limitNanos + " ns");
        }
        if (maxRounds < 1) throw new IllegalArgumentException("max-rounds must be at least 1, not " + maxRounds);
        if (onCap == null) throw new IllegalArgumentException("on-cap must be abort or stop");
        this.limitNanos = limitNanos;
        this.maxRounds = maxRounds;
        this.onCap = onCap;
    }

    public long limitNanos() {
        return limitNanos;
    }

    public int maxRounds() {
        return maxRounds;
    }

    public OnCap onCap() {
        return onCap;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Decision decide(RoundStats latest, List<RoundStats> history) {
        Reasons.previous(latest, history);
        Check check = check(latest, limitNanos);
        if (check.fits()) return Decision.stopAndCopy(check.reason());
        if (latest.round() + 1 >= maxRounds) {
            String capped = String.format(Locale.ROOT, "%d rounds reached (max-rounds=%d) and %s", latest.round() + 1,
                    maxRounds, check.reason());
            return onCap == OnCap.ABORT
                    ? Decision.abort(capped + "; on-cap=abort: giving up rather than exceed the limit, "
                            + "the guest keeps running on the source (QEMU would iterate on)")
                    : Decision.stopAndCopy(capped + "; on-cap=stop: stopping anyway, downtime will exceed the limit");
        }
        return Decision.continuePrecopy(check.reason());
    }

    /**
     * QEMU's completion test on one round, the rule this policy stops on; other policies that stop "when the downtime
     * limit is met" ({@link HybridThresholdPolicy}, {@link PostcopyAfterFirstPassPolicy}) call this rather than
     * restating it.
     *
     * @param fits   {@code latest.bytesRemaining() <= bandwidth × limit}: stop-and-copy now would stay within the limit
     * @param reason the comparison in words, with the expected downtime, the limit, the bytes and pages still dirty and
     *               the bandwidth, e.g. {@code expected downtime 212.5 ms <= 300.0 ms limit: 11,141,120 bytes (2,720 pages)
     *               still dirty at 52,428,800 B/s (50.0 MiB/s) measured in round 6}
     */
    record Check(boolean fits, String reason) {
    }

    /** {@link Check} for the round that just ended against a downtime limit of {@code limitNanos}. */
    static Check check(RoundStats latest, long limitNanos) {
        double bandwidth = measuredBandwidth(latest);
        // QEMU: threshold_size = bandwidth * downtime_limit; complete when pending_size <= threshold_size.
        double threshold = bandwidth * limitNanos / 1e9;
        boolean fits = latest.bytesRemaining() <= threshold;
        return new Check(fits, explain(latest, bandwidth, limitNanos, fits ? "<=" : ">"));
    }

    /** The latest round's bandwidth, or 0 when the round measured none. */
    private static double measuredBandwidth(RoundStats latest) {
        return latest.bytesSent() > 0 && latest.roundNanos() > 0 ? latest.bandwidthBytesPerSecond() : 0;
    }

    private static String explain(RoundStats latest, double bandwidth, long limitNanos, String relation) {
        String limit = millis(limitNanos) + " limit";
        long remaining = latest.bytesRemaining();
        if (bandwidth <= 0) {
            return remaining == 0
                    ? String.format(Locale.ROOT, "nothing left to send after round %d (0 bytes dirty), within the %s",
                            latest.round(), limit)
                    : String.format(Locale.ROOT, "round %d measured no bandwidth (%s bytes sent in %s), so the expected "
                                    + "downtime of the %s bytes still dirty is unbounded, over the %s",
                            latest.round(), count(latest.bytesSent()), millis(latest.roundNanos()), count(remaining), limit);
        }
        double expectedNanos = remaining / bandwidth * 1e9;
        return String.format(Locale.ROOT, "expected downtime %s %s %s: %s bytes (%s pages) still dirty at %s measured in round %d",
                millis(expectedNanos), relation, limit, count(remaining), count(latest.pagesDirtied()), rate(bandwidth),
                latest.round());
    }

    /** The canonical spec, e.g. {@code downtime-limit:limit=300ms,max-rounds=30,on-cap=abort}. */
    @Override
    public String toString() {
        return NAME + ":limit=" + Policies.formatDuration(limitNanos) + ",max-rounds=" + maxRounds + ",on-cap=" + onCap.spec();
    }
}
