package io.xmig.control.xenstream;

import java.util.List;

/**
 * What one stream send did, for the JSON report and the side-by-side table. Immutable.
 *
 * @param domid            the source domain
 * @param policy           the policy spec that decided the rounds
 * @param suspend          how the guest was stopped ("pause", "xenstore-suspend")
 * @param guestPages       the guest's p2m size in pages
 * @param rounds           the live rounds, round 0 first
 * @param finalPages       pages sent with the guest stopped (the final copy)
 * @param finalDecision    the policy's last answer and reason
 * @param totalMillis      first byte to the libxl END record
 * @param downtimeMillis   guest stopped to the libxl END record (the receiver's restore comes on top)
 * @param streamBytes      bytes written
 * @param pausePointDiffs  pages that differed between what was sent and the stopped guest, when checked; -1 if not
 */
public record SendReport(int domid, String policy, String suspend, long guestPages, List<Round> rounds, long finalPages,
                         String finalDecision, double totalMillis, double downtimeMillis, long streamBytes,
                         long pausePointDiffs) {

    /**
     * One live round.
     *
     * @param round        0, 1, ...
     * @param pagesSent    pages with data this round sent
     * @param holes        pfns the round found unmapped (sent as XTAB in round 0, skipped after)
     * @param pagesDirtied what the CLEAN after it reported
     * @param millis       the round's duration
     * @param decision     the policy's answer after it
     */
    public record Round(int round, long pagesSent, long holes, long pagesDirtied, double millis, String decision) {
    }
}
