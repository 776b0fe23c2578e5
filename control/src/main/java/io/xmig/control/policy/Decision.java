package io.xmig.control.policy;

import java.util.List;
import java.util.Objects;

/**
 * A policy's answer after one round: the {@link Action} and the reason a person reads in the migration report,
 * with the numbers that decided it ("5 iterations reached (Xen's SPP_MAX_ITERATIONS), 8,192 pages still dirty"), and,
 * for a policy that weighed alternatives (predictive), the {@link Estimate}s it compared.
 */
public record Decision(Action action, String reason, List<Estimate> estimates) {

    public Decision {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(reason, "reason");
        if (reason.isBlank()) throw new IllegalArgumentException("a decision needs a reason");
        estimates = List.copyOf(Objects.requireNonNull(estimates, "estimates"));
    }

    public Decision(Action action, String reason) {
        this(action, reason, List.of());
    }

    public static Decision continuePrecopy(String reason) {
        return new Decision(Action.CONTINUE_PRECOPY, reason);
    }

    public static Decision stopAndCopy(String reason) {
        return new Decision(Action.STOP_AND_COPY, reason);
    }

    public static Decision startPostcopy(String reason) {
        return new Decision(Action.START_POSTCOPY, reason);
    }

    public static Decision abort(String reason) {
        return new Decision(Action.ABORT, reason);
    }
}
