package io.xmig.control.policy;

import java.util.List;

import static io.xmig.control.policy.Reasons.count;
import static io.xmig.control.policy.Reasons.size;

/**
 * {@code postcopy-only}: post-copy with no pre-copy round at all. {@link #atStart} answers START_POSTCOPY: the guest is
 * paused before anything is sent, its vCPU state moves, it resumes on the destination at once and every page arrives
 * by demand fault or background push. QEMU's equivalent is {@code migrate-start-postcopy} issued right after
 * {@code migrate} ({@code docs/devel/migration/postcopy.rst}: "It can be issued immediately after migration is started
 * or any time later on"); QEMU still checks its completion rule first, which a fresh migration of a non-empty guest
 * never meets, so no RAM pass is sent either. Xen has no post-copy.
 *
 * <p>{@link #decide} is not called when the session honours {@link #atStart}; if it is anyway (a session that runs
 * round 0 regardless), it answers START_POSTCOPY at the first chance, so the policy never pre-copies more than that.
 *
 * <p>Takes no parameters. Immutable and stateless.
 */
public final class PostcopyOnlyPolicy implements SwitchPolicy {
    public static final String NAME = "postcopy-only";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Decision atStart(long guestPages, int pageSize) {
        Reasons.checkStart(guestPages, pageSize);
        return Decision.startPostcopy(String.format(
                "post-copy only: switching before any pre-copy round; the destination resumes the guest at once and "
                        + "fetches all %s pages (%s) by demand fault or background push",
                count(guestPages), size((double) guestPages * pageSize)));
    }

    @Override
    public Decision decide(RoundStats latest, List<RoundStats> history) {
        Reasons.previous(latest, history);
        return Decision.startPostcopy(String.format(
                "post-copy only: switching at the first chance, after round %d (the session did not switch before "
                        + "round 0); %s pages still dirty",
                latest.round(), count(latest.pagesDirtied())));
    }

    @Override
    public String toString() {
        return NAME;
    }
}
