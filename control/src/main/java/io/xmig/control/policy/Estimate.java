package io.xmig.control.policy;

import java.util.Objects;

/**
 * What the predictive policy expects one answer to cost, from {@link PrecopyModel} and the forecast: the answer
 * "{@code action} after {@code extraRounds} more pre-copy rounds" (0 = now). Recorded in the report next to the
 * decision it justified. Immutable.
 *
 * @param action       {@link Action#STOP_AND_COPY} or {@link Action#START_POSTCOPY}
 * @param extraRounds  pre-copy rounds before it (0 = right now)
 * @param downtimeMs   expected pause: the final copy at the link's rate plus the switch overhead (stop-and-copy), or
 *                     the overhead alone (post-copy)
 * @param bytes        expected bytes still to send, the extra rounds and the final copy or the post-copy push included
 * @param timeMs       expected time from now to the end of the migration
 * @param remoteFaults expected demand faults at the destination (0 for stop-and-copy)
 * @param meetsTarget  whether {@code downtimeMs} is within the policy's downtime limit
 */
public record Estimate(Action action, int extraRounds, double downtimeMs, long bytes, double timeMs,
                       double remoteFaults, boolean meetsTarget) {

    public Estimate {
        Objects.requireNonNull(action, "action");
        if (action != Action.STOP_AND_COPY && action != Action.START_POSTCOPY) {
            throw new IllegalArgumentException("an estimate is for stop-and-copy or post-copy, not " + action);
        }
        if (extraRounds < 0) throw new IllegalArgumentException("extraRounds must be >= 0");
    }
}
