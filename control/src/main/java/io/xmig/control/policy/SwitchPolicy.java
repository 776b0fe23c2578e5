package io.xmig.control.policy;

import java.util.List;

import static io.xmig.control.policy.Reasons.count;

/**
 * Decides, before the first pre-copy round and after every round, whether to go on iterating, stop and copy, flip to
 * post-copy or give up: Xen's {@code precopy_policy} hook ({@code tools/libs/guest/xg_sr_save.c}) plus post-copy.
 * Baselines are policies too, so every comparison runs through the same pipeline. docs/POLICIES.md is the contract in
 * full.
 *
 * <p>The migration session calls {@link #atStart} once, on its own thread, before round 0 sends anything; if that
 * answers {@link Action#CONTINUE_PRECOPY} it calls {@link #decide} once per round, after the round's pages were sent and
 * the CLEAN that follows it, and acts on each answer before sending anything else. Implementations are immutable (any
 * memory of earlier rounds comes from {@code history}); the session never calls one concurrently. Get one by its
 * command-line spec from {@link Policies#create(String)}.
 */
public interface SwitchPolicy {

    /** The name as given on the command line, e.g. {@code "xen-default"}. */
    String name();

    /**
     * Called once, before round 0: whether to pre-copy at all. The answers mean
     * <ul>
     *   <li>{@link Action#CONTINUE_PRECOPY}: send round 0, the full pass, with the guest running (every pre-copy
     *       policy; the default);</li>
     *   <li>{@link Action#START_POSTCOPY}: post-copy with no pre-copy at all: pause, move the vCPU state, resume on the
     *       destination, which gets every page by demand fault or background push;</li>
     *   <li>{@link Action#STOP_AND_COPY}: a plain (non-live) stop-and-copy of the whole guest: pause, send every page,
     *       resume on the destination;</li>
     *   <li>{@link Action#ABORT}: send nothing; the guest keeps running on the source.</li>
     * </ul>
     * {@link #decide} is not called after an answer other than {@link Action#CONTINUE_PRECOPY}.
     *
     * @param guestPages the guest's size in pages (Xen's {@code p2m_size}), at least 0
     * @param pageSize   bytes per page, more than 0
     * @return what to do first, with a reason for the report
     * @throws IllegalArgumentException a negative guest size or a page size that is not positive
     */
    default Decision atStart(long guestPages, int pageSize) {
        Reasons.checkStart(guestPages, pageSize);
        return new Decision(Action.CONTINUE_PRECOPY, String.format(
                "pre-copy from the start: round 0 sends all %s pages of the guest live", count(guestPages)));
    }

    /**
     * @param latest  the round that just ended, with the CLEAN that followed it
     * @param history every round so far, oldest first, {@code latest} last (so never empty; round indices 0, 1, ...)
     * @return what to do next, with a reason for the report
     */
    Decision decide(RoundStats latest, List<RoundStats> history);
}
