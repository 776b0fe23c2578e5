package io.xmig.control.policy;

import java.util.List;

/**
 * Decides, after every pre-copy round, whether to go on iterating, stop and copy, flip to post-copy or give up:
 * Xen's {@code precopy_policy} hook ({@code tools/libs/guest/xg_sr_save.c}) plus post-copy. Baselines are policies
 * too, so every comparison runs through the same pipeline. docs/POLICIES.md is the contract in full.
 *
 * <p>The migration session calls {@link #decide} on its own thread once per round, after the round's pages were
 * sent and the CLEAN that follows it, and acts on the answer before sending anything else. Implementations are
 * immutable (any memory of earlier rounds comes from {@code history}); the session never calls one concurrently.
 * Get one by its command-line spec from {@link Policies#create(String)}.
 */
public interface SwitchPolicy {

    /** The name as given on the command line, e.g. {@code "xen-default"}. */
    String name();

    /**
     * @param latest  the round that just ended, with the CLEAN that followed it
     * @param history every round so far, oldest first, {@code latest} last (so never empty; round indices 0, 1, ...)
     * @return what to do next, with a reason for the report
     */
    Decision decide(RoundStats latest, List<RoundStats> history);
}
