package io.xmig.control.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static io.xmig.control.policy.Reasons.count;

/**
 * {@code predictive}: the forecast-driven hybrid (docs/POLICIES.md, "predictive"). After each round it prices every
 * answer with {@link PrecopyModel} and the round's {@link Forecast} — stop-and-copy now, after 1..{@code lookahead}
 * more rounds, post-copy now or after more rounds — and takes, in this order:
 * <ol>
 *   <li>STOP_AND_COPY when stopping now meets the downtime {@code limit};</li>
 *   <li>CONTINUE_PRECOPY when a stop-and-copy after {@code k <= lookahead} more rounds is forecast to meet it (a quiet
 *       spell is coming, or pre-copy converges): the fewest rounds that do, so the fewest extra bytes;</li>
 *   <li>otherwise, with post-copy allowed: START_POSTCOPY at the round cap, or when the latest round did not converge
 *       (it dirtied at least 80 % of what it sent: the evidence overrules the model); CONTINUE_PRECOPY while one more
 *       round is forecast to cut the expected remote faults by at least {@code gain} (pre-copy still drains the dirty
 *       set); START_POSTCOPY otherwise — at once when the forecast rate outruns the link, since every round then only
 *       adds bytes;</li>
 *   <li>with {@code postcopy=no}: STOP_AND_COPY at the cap or when no later stop is forecast to be shorter than now;
 *       CONTINUE_PRECOPY toward the shortest forecast downtime otherwise.</li>
 * </ol>
 * Without a forecast in the round (no telemetry source, e.g. on a Xen dom0 without the sampler) it assumes the rate the
 * last round measured holds (forecaster {@code round-rate}), and the reason says so. Each decision carries the
 * estimates it compared; the report records them with the forecast.
 *
 * A forecast promise of a quiet spell (rule 2) is waited for at most until {@code patience} rounds in a row did not
 * converge; then rules 3 and 4 decide as if no later stop met the limit.
 *
 * <p>Immutable and stateless: everything comes from {@code history} and the forecast.
 */
public final class PredictivePolicy implements SwitchPolicy {
    public static final String NAME = "predictive";
    public static final int DEFAULT_LOOKAHEAD = 5;
    public static final double DEFAULT_GAIN = 0.3;
    public static final long DEFAULT_OVERHEAD_NANOS = 5_000_000L;
    public static final int DEFAULT_PATIENCE = 3;
    /** A round converged when it dirtied less than this share of what it sent (hybrid-threshold's measure). */
    static final double CONVERGING_SHARE = 0.8;
    /** No projection looks further than this: the forecast holds its last step beyond the horizon anyway. */
    static final double MAX_PROJECTION_SECONDS = 60;

    private final long limitNanos;
    private final boolean postcopy;
    private final int maxRounds;
    private final int lookahead;
    private final double gain;
    private final long overheadNanos;
    private final int patience;

    public PredictivePolicy() {
        this(DowntimeLimitPolicy.DEFAULT_LIMIT_NANOS, true, DowntimeLimitPolicy.DEFAULT_MAX_ROUNDS, DEFAULT_LOOKAHEAD,
                DEFAULT_GAIN, DEFAULT_OVERHEAD_NANOS, DEFAULT_PATIENCE);
    }

    public PredictivePolicy(long limitNanos, boolean postcopy, int maxRounds, int lookahead, double gain, long overheadNanos) {
        this(limitNanos, postcopy, maxRounds, lookahead, gain, overheadNanos, DEFAULT_PATIENCE);
    }

    /**
     * @param limitNanos    the downtime target, 0..2000 s
     * @param postcopy      whether post-copy may be chosen
     * @param maxRounds     rounds (round 0 included) after which it stops iterating: post-copy, or stop-and-copy
     * @param lookahead     how many more rounds it projects, 1..30
     * @param gain          the share of expected remote faults one more round must save to be worth it, 0..1
     * @param overheadNanos fixed cost of a switch and of a round, 0..10 s
     * @param patience      consecutive rounds that did not converge after which a forecast promise is no longer waited
     *                      for, at least 1
     */
    public PredictivePolicy(long limitNanos, boolean postcopy, int maxRounds, int lookahead, double gain, long overheadNanos,
                            int patience) {
        if (limitNanos < 0 || limitNanos > DowntimeLimitPolicy.MAX_LIMIT_NANOS) {
            throw new IllegalArgumentException("downtime limit must be 0..2000 s, not " + limitNanos + " ns");
        }
        if (maxRounds < 1) throw new IllegalArgumentException("max-rounds must be at least 1, not " + maxRounds);
        if (lookahead < 1 || lookahead > 30) throw new IllegalArgumentException("lookahead must be 1..30, not " + lookahead);
        if (!(gain >= 0 && gain <= 1)) throw new IllegalArgumentException("gain must be 0..1, not " + gain);
        if (overheadNanos < 0 || overheadNanos > 10_000_000_000L) {
            throw new IllegalArgumentException("overhead must be 0..10 s, not " + overheadNanos + " ns");
        }
        this.limitNanos = limitNanos;
        this.postcopy = postcopy;
        this.maxRounds = maxRounds;
        this.lookahead = lookahead;
        this.gain = gain;
        this.overheadNanos = overheadNanos;
        if (patience < 1) throw new IllegalArgumentException("patience must be at least 1, not " + patience);
        this.patience = patience;
    }

    @Override
    public String name() {
        return NAME;
    }

    public long limitNanos() {
        return limitNanos;
    }

    @Override
    public Decision decide(RoundStats latest, List<RoundStats> history) {
        Reasons.previous(latest, history);
        double limit = limitNanos / 1e9;
        boolean atCap = latest.round() + 1 >= maxRounds;
        double linkBytes = PrecopyModel.linkBytesPerSecond(history);
        if (latest.pagesDirtied() == 0) {
            return Decision.stopAndCopy("nothing is dirty: the final copy is the vCPU state alone");
        }
        if (!(linkBytes > 0)) {
            return atCap ? fallback("no bandwidth was measured and the round cap is reached")
                    : Decision.continuePrecopy("no bandwidth measured yet: one more round to measure it");
        }
        Forecast forecast = latest.forecast().orElseGet(() -> roundRate(latest));
        double perPage = PrecopyModel.bytesPerDataPage(history, latest.pageSize());
        int stalled = notConverging(history);
        PrecopyModel model = new PrecopyModel(forecast, PrecopyModel.workingSet(latest, history, forecast),
                linkBytes / perPage, perPage, overheadNanos / 1e9, latest.guestPages(), stalled > 0);
        int rounds = atCap ? 0 : Math.min(lookahead, maxRounds - latest.round() - 1);
        List<PrecopyModel.Point> points = model.project(latest.pagesDirtied(), rounds, MAX_PROJECTION_SECONDS);
        List<Estimate> estimates = new ArrayList<>();
        for (PrecopyModel.Point p : points) {
            estimates.add(model.stopAndCopy(p, limit));
            if (postcopy) estimates.add(model.postcopy(p, limit));
        }
        String context = String.format(Locale.ROOT, "%s dirty, link %.0f pages/s, working set %s, forecast %s: %.0f pages/s "
                        + "over the next second, %.0f over the horizon",
                count(latest.pagesDirtied()), model.linkPagesPerS(), count(Math.round(model.workingSetPages())),
                forecast.forecaster(), forecast.meanRate(0, 1), forecast.meanRate(0, forecast.horizonSeconds()));

        Estimate stopNow = stop(estimates, 0);
        if (stopNow.meetsTarget()) {
            return new Decision(Action.STOP_AND_COPY, String.format(Locale.ROOT,
                    "stop-and-copy now meets the %s limit: expected downtime %.1f ms; %s", Reasons.millis(limitNanos),
                    stopNow.downtimeMs(), context), estimates);
        }
        boolean patient = stalled < patience;
        for (int k = 1; k < points.size() && patient; k++) {
            Estimate later = stop(estimates, k);
            if (later.meetsTarget()) {
                return new Decision(Action.CONTINUE_PRECOPY, String.format(Locale.ROOT,
                        "wait: stopping now would take %.1f ms, over the %s limit, but after %d more round%s the final "
                                + "copy is forecast at %s pages, %.1f ms; %s",
                        stopNow.downtimeMs(), Reasons.millis(limitNanos), k, k == 1 ? "" : "s",
                        count(Math.round(points.get(k).dirtyPages())), later.downtimeMs(), context), estimates);
            }
        }
        if (!postcopy) return precopyOnly(points, estimates, stopNow, atCap || !patient, context);
        Estimate pcNow = post(estimates, 0);
        if (atCap) {
            return new Decision(Action.START_POSTCOPY, String.format(Locale.ROOT,
                    "%d rounds reached (max-rounds=%d) and stopping would take %.1f ms: post-copy with %.0f expected "
                            + "remote faults; %s", latest.round() + 1, maxRounds, stopNow.downtimeMs(), pcNow.remoteFaults(),
                    context), estimates);
        }
        Estimate pcNext = post(estimates, 1);
        boolean shrinking = points.get(1).dirtyPages() < points.get(0).dirtyPages();
        if (!patient || stalled > 0) {
            // The evidence overrules the model: the dirty set did not shrink when the forecast said it would (a
            // sequential writer re-dirties its whole working set, which the model's uniform-writes curve under-counts).
            return new Decision(Action.START_POSTCOPY, String.format(Locale.ROOT,
                    "post-copy now: no stop-and-copy within %d rounds meets the %s limit (now %.1f ms) and the last %d "
                            + "round%s did not converge (%s); expected %.0f remote faults; %s", rounds,
                    Reasons.millis(limitNanos), stopNow.downtimeMs(), stalled, stalled == 1 ? "" : "s",
                    convergence(latest), pcNow.remoteFaults(), context), estimates);
        }
        if (shrinking && pcNext.remoteFaults() <= (1 - gain) * pcNow.remoteFaults()) {
            return new Decision(Action.CONTINUE_PRECOPY, String.format(Locale.ROOT,
                    "no stop-and-copy within %d rounds meets the %s limit; one more round is forecast to cut the "
                            + "expected remote faults of post-copy from %.0f to %.0f (at least %.0f %% less) for %s more; %s",
                    rounds, Reasons.millis(limitNanos), pcNow.remoteFaults(), pcNext.remoteFaults(), gain * 100,
                    Reasons.size(pcNext.bytes() - pcNow.bytes()), context), estimates);
        }
        String why = shrinking
                ? String.format(Locale.ROOT, "one more round would only cut the expected remote faults from %.0f to %.0f",
                pcNow.remoteFaults(), pcNext.remoteFaults())
                : String.format(Locale.ROOT, "the forecast rate outruns the link: the dirty set would grow from %s to %s pages",
                count(Math.round(points.get(0).dirtyPages())), count(Math.round(points.get(1).dirtyPages())));
        return new Decision(Action.START_POSTCOPY, String.format(Locale.ROOT,
                "post-copy now: no stop-and-copy within %d rounds meets the %s limit (now %.1f ms) and %s; expected "
                        + "%.0f remote faults; %s", rounds, Reasons.millis(limitNanos), stopNow.downtimeMs(), why,
                pcNow.remoteFaults(), context), estimates);
    }

    /** Consecutive rounds, ending with the latest, that dirtied at least {@link #CONVERGING_SHARE} of what they sent. */
    static int notConverging(List<RoundStats> history) {
        int n = 0;
        for (int i = history.size() - 1; i >= 0; i--) {
            RoundStats r = history.get(i);
            if (r.pagesDirtied() < CONVERGING_SHARE * r.pagesSent()) break;
            n++;
        }
        return n;
    }

    private static String convergence(RoundStats r) {
        return String.format(Locale.ROOT, "round %d sent %s pages and %s were dirtied meanwhile", r.round(),
                count(r.pagesSent()), count(r.pagesDirtied()));
    }

    private Decision precopyOnly(List<PrecopyModel.Point> points, List<Estimate> estimates, Estimate stopNow, boolean atCap,
                                 String context) {
        int best = 0;
        for (int k = 1; k < points.size(); k++) {
            if (stop(estimates, k).downtimeMs() < stop(estimates, best).downtimeMs()) best = k;
        }
        if (atCap || best == 0) {
            return new Decision(Action.STOP_AND_COPY, String.format(Locale.ROOT,
                    "stop-and-copy now (post-copy not allowed): %s; expected downtime %.1f ms, over the %s limit; %s",
                    atCap ? "the round cap is reached, or pre-copy stopped converging" : "no later round is forecast to shorten it",
                    stopNow.downtimeMs(), Reasons.millis(limitNanos), context), estimates);
        }
        return new Decision(Action.CONTINUE_PRECOPY, String.format(Locale.ROOT,
                "no stop-and-copy meets the %s limit; the shortest downtime is forecast after %d more round%s (%.1f ms, "
                        + "now %.1f ms); %s", Reasons.millis(limitNanos), best, best == 1 ? "" : "s",
                stop(estimates, best).downtimeMs(), stopNow.downtimeMs(), context), estimates);
    }

    private Decision fallback(String why) {
        return postcopy ? Decision.startPostcopy(why + ": post-copy") : Decision.stopAndCopy(why + ": stop-and-copy");
    }

    /** Without a forecast: the rate the last round saw (distinct pages it dirtied over its duration), held flat. */
    static Forecast roundRate(RoundStats latest) {
        double seconds = Math.max(1e-3, latest.roundNanos() / 1e9);
        return Forecast.flat("round-rate (no forecaster)", latest.pagesDirtied() / seconds, 250, 20);
    }

    private Estimate stop(List<Estimate> estimates, int rounds) {
        return find(estimates, Action.STOP_AND_COPY, rounds);
    }

    private Estimate post(List<Estimate> estimates, int rounds) {
        return find(estimates, Action.START_POSTCOPY, rounds);
    }

    private static Estimate find(List<Estimate> estimates, Action a, int rounds) {
        for (Estimate e : estimates) if (e.action() == a && e.extraRounds() == rounds) return e;
        throw new IllegalStateException("no estimate for " + a + " after " + rounds + " rounds");
    }

    /** The canonical spec. */
    @Override
    public String toString() {
        return NAME + ":limit=" + Policies.formatDuration(limitNanos) + ",postcopy=" + (postcopy ? "yes" : "no")
                + ",max-rounds=" + maxRounds + ",lookahead=" + lookahead + ",gain=" + gain + ",overhead="
                + Policies.formatDuration(overheadNanos) + ",patience=" + patience;
    }
}
