package io.xmig.control.policy;

import java.util.List;

import static io.xmig.control.policy.Reasons.count;

/**
 * {@code xen-default}: what {@code xl migrate} does, Xen 4.17's {@code simple_precopy_policy} inside the
 * {@code send_memory_live} loop ({@code tools/libs/guest/xg_sr_save.c}, RELEASE-4.17.0 to 4.17.7, lines 481-567):
 * <pre>
 * #define SPP_MAX_ITERATIONS      5
 * #define SPP_TARGET_DIRTY_COUNT 50
 * return ((stats.dirty_count &gt;= 0 &amp;&amp; stats.dirty_count &lt; SPP_TARGET_DIRTY_COUNT) ||
 *         stats.iteration &gt;= SPP_MAX_ITERATIONS) ? XGS_POLICY_STOP_AND_COPY : XGS_POLICY_CONTINUE_PRECOPY;
 * </pre>
 *
 * <h2>How Xen's counters map onto our rounds</h2>
 * Xen asks its policy twice per pass ({@code x} counts passes):
 * <ol>
 *   <li>before sending a pass, with {@code iteration = x} (passes already sent) and {@code dirty_count} = the pages
 *       this pass is about to send ({@code p2m_size} before the first pass, then the last CLEAN's count);</li>
 *   <li>after the pass, before the next CLEAN, with {@code iteration = x} (passes now sent, the pass included) and
 *       {@code dirty_count = -1}, so only the iteration cap can fire.</li>
 * </ol>
 * Our round {@code r} is Xen's pass {@code x = r + 1}. After round {@code r} and its CLEAN, Xen's next two calls are
 * (2) with {@code iteration = r + 1}, then (1) with {@code iteration = r + 1} and {@code dirty_count =
 * latest.pagesDirtied()}. So the cap fires after round 4: five live passes (the full pass and four resends), then
 * stop-and-copy.
 *
 * <p>One detail decides the dirty-count rule: when call (1) answers STOP_AND_COPY, Xen still sends that pass live
 * (line 532 sends whenever {@code dirty_count > 0} and the answer is not ABORT) and only then breaks out and suspends.
 * Our STOP_AND_COPY pauses at once, so to put the same pages on the wire in the same phases this policy answers
 * CONTINUE_PRECOPY when fewer than 50 pages (but more than 0) are dirty, and STOP_AND_COPY after that last live round
 * whatever it left dirty. With 0 dirty pages Xen sends nothing and stops, and so does this policy. A guest smaller
 * than 50 pages stops after round 0, as Xen's first call ({@code dirty_count = p2m_size}) decides.
 *
 * <p>Takes no parameters. Immutable and stateless.
 */
public final class XenDefaultPolicy implements SwitchPolicy {
    public static final String NAME = "xen-default";
    /** {@code SPP_MAX_ITERATIONS}: stop once this many live passes were sent. */
    public static final int MAX_ITERATIONS = 5;
    /** {@code SPP_TARGET_DIRTY_COUNT}: fewer dirty pages than this end pre-copy (after one more live pass). */
    public static final long TARGET_DIRTY_COUNT = 50;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Decision decide(RoundStats latest, List<RoundStats> history) {
        RoundStats previous = Reasons.previous(latest, history);
        int r = latest.round();
        // Xen's call (1) before this round: dirty_count was what this round was going to send.
        long sentDirtyCount = previous == null ? latest.guestPages() : previous.pagesDirtied();
        long dirty = latest.pagesDirtied();
        if (sentDirtyCount < TARGET_DIRTY_COUNT) {
            if (previous == null) {
                return Decision.stopAndCopy(String.format(
                        "the guest has only %s pages (fewer than %d, Xen's SPP_TARGET_DIRTY_COUNT): Xen sends them live "
                                + "once, then suspends; %s pages still dirty",
                        count(sentDirtyCount), TARGET_DIRTY_COUNT, count(dirty)));
            }
            return Decision.stopAndCopy(String.format(
                    "round %d was Xen's last live pass: round %d left %s dirty pages (fewer than %d, Xen's "
                            + "SPP_TARGET_DIRTY_COUNT), which Xen sends live before suspending; %s pages still dirty",
                    r, previous.round(), count(sentDirtyCount), TARGET_DIRTY_COUNT, count(dirty)));
        }
        int iteration = r + 1;   // Xen's policy_stats->iteration after this pass
        if (iteration >= MAX_ITERATIONS) {
            return Decision.stopAndCopy(String.format(
                    "%d iterations reached (Xen's SPP_MAX_ITERATIONS), %s pages still dirty", iteration, count(dirty)));
        }
        if (dirty == 0) {
            return Decision.stopAndCopy(String.format(
                    "no pages dirtied during round %d (fewer than %d, Xen's SPP_TARGET_DIRTY_COUNT): nothing left to send live",
                    r, TARGET_DIRTY_COUNT));
        }
        if (dirty < TARGET_DIRTY_COUNT) {
            return Decision.continuePrecopy(String.format(
                    "%s pages dirty after round %d, fewer than %d (Xen's SPP_TARGET_DIRTY_COUNT): Xen stops here but "
                            + "sends them live first, so one last round, then stop-and-copy",
                    count(dirty), r, TARGET_DIRTY_COUNT));
        }
        return Decision.continuePrecopy(String.format(
                "iteration %d of %d (Xen's SPP_MAX_ITERATIONS), %s pages dirty (at least %d)",
                iteration, MAX_ITERATIONS, count(dirty), TARGET_DIRTY_COUNT));
    }

    @Override
    public String toString() {
        return NAME;
    }
}
