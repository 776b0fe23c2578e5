package io.xmig.control.policy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

import static io.xmig.control.policy.Reasons.count;

/**
 * {@code hybrid-threshold}: the non-learned adaptive hybrid. Pre-copy while it converges, stop and copy as soon as the
 * downtime limit is met, and flip to post-copy once pre-copy has stopped converging or the round cap is reached.
 * After round {@code r}, in this order:
 * <ol>
 *   <li>STOP_AND_COPY if {@link DowntimeLimitPolicy}'s rule is met at {@code limit}:
 *       {@code bytesRemaining <= bandwidth × limit} (QEMU's completion test, {@link DowntimeLimitPolicy#check});</li>
 *   <li>START_POSTCOPY if the last {@code rounds} rounds, consecutive and ending with round {@code r}, each failed to
 *       converge: {@code pagesDirtied >= share × pagesSent} (round 0, the full pass, counts like any other round);</li>
 *   <li>START_POSTCOPY if {@code r + 1 >= max-rounds} (the cap, round 0 counted);</li>
 *   <li>CONTINUE_PRECOPY otherwise.</li>
 * </ol>
 * A round where {@code pagesDirtied < share × pagesSent} breaks the streak: the count starts again from the next round.
 * The comparison is exact in decimal ({@code share} as written, e.g. 0.8), so 8,000 dirtied of 10,000 sent is exactly
 * at the threshold and counts as not converging. Defaults: {@code share=0.8}, {@code rounds=2}, {@code limit=300ms}
 * (QEMU's), {@code max-rounds=30} (as {@code downtime-limit}).
 *
 * <p>The non-convergence test has the shape of QEMU's auto-converge trigger ({@code migration_trigger_throttle()} in
 * {@code migration/ram.c}: dirtied bytes above {@code throttle-trigger-threshold} (50 %) of the bytes transferred,
 * twice, throttles the vCPUs); here it is pages per round, {@code >=}, consecutive, and it flips to post-copy instead.
 * docs/POLICIES.md has the comparison.
 *
 * <p>Immutable and stateless: the streak is recomputed from {@code history} each time.
 */
public final class HybridThresholdPolicy implements SwitchPolicy {
    public static final String NAME = "hybrid-threshold";
    public static final double DEFAULT_SHARE = 0.8;
    public static final int DEFAULT_ROUNDS = 2;
    public static final long DEFAULT_LIMIT_NANOS = DowntimeLimitPolicy.DEFAULT_LIMIT_NANOS;
    public static final int DEFAULT_MAX_ROUNDS = DowntimeLimitPolicy.DEFAULT_MAX_ROUNDS;

    private final BigDecimal share;
    private final int rounds;
    private final long limitNanos;
    private final int maxRounds;

    /** share 0.8, 2 rounds, 300 ms, 30 rounds. */
    public HybridThresholdPolicy() {
        this(DEFAULT_SHARE, DEFAULT_ROUNDS, DEFAULT_LIMIT_NANOS, DEFAULT_MAX_ROUNDS);
    }

    /**
     * @param share      a round does not converge when it dirtied at least this share of the pages it sent, 0..1
     * @param rounds     consecutive non-converging rounds that trigger post-copy, at least 1
     * @param limitNanos the downtime limit, 0..2000 s
     * @param maxRounds  rounds (round 0 included) after which post-copy starts anyway, at least 1
     */
    public HybridThresholdPolicy(double share, int rounds, long limitNanos, int maxRounds) {
        if (!(share >= 0 && share <= 1)) throw new IllegalArgumentException("share must be 0..1, not " + share);
        if (rounds < 1) throw new IllegalArgumentException("rounds must be at least 1, not " + rounds);
        if (limitNanos < 0 || limitNanos > DowntimeLimitPolicy.MAX_LIMIT_NANOS) {
            throw new IllegalArgumentException("downtime limit must be 0..2000 s, not " + limitNanos + " ns");
        }
        if (maxRounds < 1) throw new IllegalArgumentException("max-rounds must be at least 1, not " + maxRounds);
        // valueOf goes through Double.toString, so 0.7 is the decimal 0.7, not the binary double nearest to it
        this.share = BigDecimal.valueOf(share).stripTrailingZeros();
        this.rounds = rounds;
        this.limitNanos = limitNanos;
        this.maxRounds = maxRounds;
    }

    public double share() {
        return share.doubleValue();
    }

    public int rounds() {
        return rounds;
    }

    public long limitNanos() {
        return limitNanos;
    }

    public int maxRounds() {
        return maxRounds;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Decision decide(RoundStats latest, List<RoundStats> history) {
        Reasons.previous(latest, history);
        DowntimeLimitPolicy.Check check = DowntimeLimitPolicy.check(latest, limitNanos);
        if (check.fits()) return Decision.stopAndCopy(check.reason());

        int streak = 0;
        for (int i = history.size() - 1; i >= 0 && streak < rounds && !converging(history.get(i)); i--) streak++;
        if (streak >= rounds) {
            StringBuilder evidence = new StringBuilder();
            for (RoundStats r : history.subList(history.size() - rounds, history.size())) {
                evidence.append(evidence.isEmpty() ? "" : "; ").append(describe(r));
            }
            return Decision.startPostcopy(String.format(Locale.ROOT,
                    "pre-copy stopped converging: %d round%s in a row (rounds=%d) dirtied at least %s of the pages sent "
                            + "(%s), and %s",
                    rounds, rounds == 1 ? "" : "s", rounds, share.toPlainString(), evidence, check.reason()));
        }
        if (latest.round() + 1 >= maxRounds) {
            return Decision.startPostcopy(String.format(Locale.ROOT,
                    "%d rounds reached (max-rounds=%d) without meeting the downtime limit: %s; %s",
                    latest.round() + 1, maxRounds, check.reason(), describe(latest)));
        }
        String trend = streak == 0 ? "converging"
                : String.format(Locale.ROOT, "not converging, %d of %d rounds in a row", streak, rounds);
        return Decision.continuePrecopy(check.reason() + "; " + describe(latest) + ", " + trend);
    }

    /** Whether the round shrank the dirty set enough: {@code pagesDirtied < share × pagesSent}, exactly. */
    private boolean converging(RoundStats round) {
        return BigDecimal.valueOf(round.pagesDirtied()).compareTo(threshold(round)) < 0;
    }

    /** {@code share × pagesSent}, exact. */
    private BigDecimal threshold(RoundStats round) {
        return share.multiply(BigDecimal.valueOf(round.pagesSent())).stripTrailingZeros();
    }

    /** "round 4: 9,000 dirtied >= 8,000 (0.8 of 10,000 sent)". */
    private String describe(RoundStats r) {
        BigDecimal threshold = threshold(r);
        String limit = String.format(Locale.ROOT, "%,." + Math.max(0, threshold.scale()) + "f", threshold);
        return String.format(Locale.ROOT, "round %d: %s dirtied %s %s (%s of %s sent)", r.round(), count(r.pagesDirtied()),
                converging(r) ? "<" : ">=", limit, share.toPlainString(), count(r.pagesSent()));
    }

    /** The canonical spec, e.g. {@code hybrid-threshold:share=0.8,rounds=2,limit=300ms,max-rounds=30}. */
    @Override
    public String toString() {
        return NAME + ":share=" + share.toPlainString() + ",rounds=" + rounds + ",limit=" + Policies.formatDuration(limitNanos)
                + ",max-rounds=" + maxRounds;
    }
}
