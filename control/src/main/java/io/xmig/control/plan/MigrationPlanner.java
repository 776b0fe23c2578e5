package io.xmig.control.plan;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Decision;
import io.xmig.control.policy.PrecopyModel;
import io.xmig.control.policy.RoundStats;
import io.xmig.control.policy.SwitchPolicy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code xmig plan}: predicts what a migration would do under a policy before it starts (docs/POLICIES.md, "Plan"). It
 * runs the policy itself — the same {@link SwitchPolicy} object a session would ask — against rounds simulated with
 * {@link PrecopyModel}: round 0 sends the guest (zero pages as flags) at the link's rate, each round's dirtied pages
 * come from the forecast rate over the round's time on the measured working set, and each simulated round hands the
 * policy the forecast as it would look at that moment. The answers it gives end the plan: stop-and-copy (downtime = the
 * final set at the link's rate plus the overhead), post-copy (the push of what is missing, with the model's remote
 * faults) or abort. Stateless; pure arithmetic plus the policy's own.
 */
public final class MigrationPlanner {
    /** A simulation never runs more rounds than this (a policy without a cap on a guest that never converges). */
    static final int MAX_ROUNDS = 200;
    /** What one remote fault costs in the start-time ranking: about two measured fault round trips. */
    static final double FAULT_COST_MS = 0.2;

    private MigrationPlanner() {
    }

    /**
     * One policy's predicted migration.
     *
     * @param ending       {@code stop_and_copy}, {@code start_postcopy} or {@code abort}
     * @param liveRounds   pre-copy rounds before the ending (0 for post-copy or stop-and-copy from the start)
     */
    public record Prediction(String policy, String ending, int liveRounds, double totalMs, double downtimeMs, long bytes,
                             double remoteFaults, String reason) {

        /** What the start-time search minimises: downtime plus the remote faults' expected cost, in ms. */
        double impactMs() {
            return downtimeMs + remoteFaults * FAULT_COST_MS;
        }
    }

    /** When to start: the offset with the least predicted impact within the forecast horizon, and the prediction now. */
    public record StartAdvice(double startInSeconds, Prediction best, Prediction now) {}

    public static Prediction predict(SwitchPolicy policy, String spec, PlanInputs in) {
        PrecopyModel model = new PrecopyModel(in.forecast(), Math.max(1, in.forecast().workingSetPages()),
                in.linkBytesPerSecond() / in.bytesPerDataPage(), in.bytesPerDataPage(), in.overheadSeconds(), in.guestPages());
        Decision d = policy.atStart(in.guestPages(), in.pageSize());
        double t = 0, bytes = 0, dirty = 0;
        List<RoundStats> history = new ArrayList<>();
        while (d.action() == Action.CONTINUE_PRECOPY && history.size() < MAX_ROUNDS) {
            int r = history.size();
            double roundBytes = r == 0 ? in.fullPassBytes() : dirty * in.bytesPerDataPage();
            long sentPages = r == 0 ? in.guestPages() : Math.round(dirty);
            double seconds = roundBytes / in.linkBytesPerSecond() + in.overheadSeconds();
            dirty = model.dirtied(t, seconds);
            t += seconds;
            bytes += roundBytes;
            long nanos = Math.round(seconds * 1e9);
            RoundStats stats = new RoundStats(r, sentPages, r == 0 ? in.zeroPages() : 0, Math.round(roundBytes),
                    Math.round(dirty), nanos, Math.round(t * 1e9), RoundStats.bytesPerSecond(Math.round(roundBytes), nanos),
                    Math.round(dirty) * in.pageSize(), in.guestPages(), in.pageSize(), 0, Optional.of(in.forecast().shifted(t)));
            history.add(stats);
            d = policy.decide(stats, List.copyOf(history));
        }
        int rounds = history.size();
        String ending = d.action().name().toLowerCase(java.util.Locale.ROOT);
        if (d.action() == Action.CONTINUE_PRECOPY) {
            return new Prediction(spec, "no_end", rounds, t * 1e3, Double.NaN, Math.round(bytes), 0,
                    "still iterating after " + MAX_ROUNDS + " simulated rounds");
        }
        return switch (d.action()) {
            case ABORT -> new Prediction(spec, ending, rounds, t * 1e3, 0, Math.round(bytes), 0, d.reason());
            case STOP_AND_COPY -> {
                double finalBytes = rounds == 0 ? in.fullPassBytes() : dirty * in.bytesPerDataPage();
                double downtime = finalBytes / in.linkBytesPerSecond() + in.overheadSeconds();
                yield new Prediction(spec, ending, rounds, (t + downtime) * 1e3, downtime * 1e3, Math.round(bytes + finalBytes),
                        0, d.reason());
            }
            case START_POSTCOPY -> {
                double missingBytes = rounds == 0 ? in.fullPassBytes() : dirty * in.bytesPerDataPage();
                double missing = rounds == 0 ? in.guestPages() : dirty;
                double push = missingBytes / in.linkBytesPerSecond();
                double faults = model.remoteFaults(missing, t, push);
                yield new Prediction(spec, ending, rounds, (t + in.overheadSeconds() + push) * 1e3, in.overheadSeconds() * 1e3,
                        Math.round(bytes + missingBytes), faults, d.reason());
            }
            default -> throw new IllegalStateException("unexpected " + d.action());
        };
    }

    /**
     * The best start within the forecast horizon, one sampling interval apart: the least downtime plus remote-fault
     * cost, fewer bytes on a tie; "now" unless a later start is at least 10 % better.
     */
    public static StartAdvice whenToStart(SwitchPolicy policy, String spec, PlanInputs in) {
        Prediction now = predict(policy, spec, in);
        Prediction best = now;
        double bestAt = 0, step = in.forecast().horizon().intervalMillis() / 1000.0;
        for (double s = step; s <= in.forecast().horizonSeconds() + 1e-9; s += step) {
            Prediction p = predict(policy, spec, in.startingIn(s));
            if (p.impactMs() < best.impactMs() || (p.impactMs() == best.impactMs() && p.bytes() < best.bytes())) {
                best = p;
                bestAt = s;
            }
        }
        if (!(best.impactMs() < 0.9 * now.impactMs())) return new StartAdvice(0, now, now);
        return new StartAdvice(bestAt, best, now);
    }
}
