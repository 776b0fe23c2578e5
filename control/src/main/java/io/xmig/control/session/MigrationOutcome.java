package io.xmig.control.session;

import io.xmig.control.policy.Decision;
import io.xmig.control.policy.RoundStats;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * How a migration ended and what it did, as the session measured it; {@link io.xmig.control.report} turns it into the
 * JSON report: {@code rounds} holds every round (live ones, then the stop-and-copy or post-copy round) and
 * {@code decisions} the policy's answer after each live round, in the same order; {@code forecaster} names what fed the
 * policy (null: none). Immutable; built by the session thread through {@link Builder}.
 */
public record MigrationOutcome(Status status, String policy, int channels, long bandwidthLimit, long guestPages,
                               int pageSize, List<RoundStats> rounds, Decision decision, int decisionRound,
                               long totalNanos, long downtimeNanos, long destinationResumeNanos,
                               String verifyMethod, Verifier.Result verify, long verifyNanos, String error,
                               Instant startedAt, Postcopy postcopy, Resend resend, Compressed compression,
                               List<Decision> decisions, String forecaster) {

    /**
     * Which pages the rounds held back: the rule ({@code none}, {@code xen-skip}, {@code clustering}), per element of
     * {@link #rounds()} the pages it deferred (hot cluster) and skipped (Xen's rule), and the time spent on the page
     * heat and clustering over all CLEANs.
     */
    public record Resend(String rule, List<Long> deferredPerRound, List<Long> skippedPerRound, long clusterNanos) {
        public long deferredPages() { return deferredPerRound.stream().mapToLong(Long::longValue).sum(); }
        public long skippedPages() { return skippedPerRound.stream().mapToLong(Long::longValue).sum(); }
    }

    /**
     * What LZ4 did: the mode ({@code off}, {@code on}, {@code auto}), frames sent compressed, their PAGES bodies' bytes
     * before and after, and the senders' CPU time compressing.
     */
    public record Compressed(String mode, long frames, long rawBytes, long compressedBytes, long cpuNanos) {}

    /**
     * Pages sent beyond one copy of each guest page: {@code pagesSent - guestPages}, at least 0 (a migration that
     * ended early may not have sent every page once).
     */
    public long pagesResent() {
        return Math.max(0, pagesSent() - guestPages);
    }

    /**
     * What post-copy did: the round after which it switched (-1: before any), faults the destination took and the
     * source answered, the fault round trip at the destination (request to install), the summed time vCPUs waited,
     * pages pushed and pulled, pre-paged pages sent and those the guest then wrote, the post-copy phase's length and
     * the pages the destination lacked when the guest resumed there.
     */
    public record Postcopy(int switchRound, long remoteFaults, long faultsAnswered, long faultLatencyP50Nanos,
                           long faultLatencyP99Nanos, long vcpuBlocktimeNanos, long pagesPushed, long pagesPulled,
                           long prepagedSent, long prepagedUsed, long postcopyNanos, long missingAtResume) {}

    public enum Status { COMPLETED, ABORTED, FAILED }

    /** The policy's answer after live round {@code i}, or null for the stop-and-copy / post-copy round. */
    public Decision decisionAfter(int i) {
        return i < decisions.size() ? decisions.get(i) : null;
    }

    public long bytesSent() { return rounds.stream().mapToLong(RoundStats::bytesSent).sum(); }
    public long pagesSent() { return rounds.stream().mapToLong(RoundStats::pagesSent).sum(); }
    public long zeroPages() { return rounds.stream().mapToLong(RoundStats::zeroPages).sum(); }

    /** Collects the outcome while the session runs. */
    static final class Builder {
        private final MigrationOptions options;
        private final Instant startedAt = Instant.now();
        private final List<RoundStats> rounds = new ArrayList<>();
        private long guestPages;
        private int pageSize;
        private Decision decision;
        private int decisionRound = -1;
        private String verifyMethod;
        private Verifier.Result verify;
        private long verifyNanos;
        private Postcopy postcopy;
        private final List<Decision> decisions = new ArrayList<>();
        private String forecaster;
        private final List<Long> deferred = new ArrayList<>(), skipped = new ArrayList<>();
        private io.xmig.dataplane.heat.RoundPlanner planner;
        private io.xmig.dataplane.pagepath.PagePipeline pipeline;

        Builder(MigrationOptions options) {
            this.options = options;
        }

        void guestPages(long pages, int pageSize) { this.guestPages = pages; this.pageSize = pageSize; }
        /** A live round, what it held back, and the policy's answer after it. */
        void round(RoundStats r, long deferredPages, long skippedPages, Decision d) {
            rounds.add(r);
            deferred.add(deferredPages);
            skipped.add(skippedPages);
            decisions.add(d);
        }
        /** The stop-and-copy or post-copy round: no decision after it. */
        void finalRound(RoundStats r) {
            rounds.add(r);
            deferred.add(0L);
            skipped.add(0L);
        }
        void forecaster(String f) { forecaster = f; }
        /** Where the resend and compression counts come from when the outcome is built. */
        void pagePath(io.xmig.dataplane.heat.RoundPlanner planner, io.xmig.dataplane.pagepath.PagePipeline pipeline) {
            this.planner = planner;
            this.pipeline = pipeline;
        }
        void decision(Decision d, int round) { decision = d; decisionRound = round; }
        void postcopy(Postcopy p) { postcopy = p; }
        void verified(String method, Verifier.Result r, long nanos) { verifyMethod = method; verify = r; verifyNanos = nanos; }

        MigrationOutcome completed(long total, long downtime, long destinationResume) {
            return build(Status.COMPLETED, total, downtime, destinationResume, null);
        }

        MigrationOutcome aborted(long total) {
            return build(Status.ABORTED, total, 0, 0, null);
        }

        MigrationOutcome failed(long total, String error) {
            return build(Status.FAILED, total, 0, 0, error);
        }

        private MigrationOutcome build(Status s, long total, long downtime, long resume, String error) {
            return new MigrationOutcome(s, options.policySpec(), options.channels(), options.bandwidthBytesPerSecond(),
                    guestPages, pageSize, List.copyOf(rounds), decision, decisionRound, total, downtime, resume,
                    verifyMethod, verify, verifyNanos, error, startedAt, postcopy,
                    new Resend(options.resend().spec(), List.copyOf(deferred), List.copyOf(skipped),
                            planner == null ? 0 : planner.clusterNanos()),
                    compressed(), List.copyOf(decisions), forecaster);
        }

        private Compressed compressed() {
            if (pipeline == null) return new Compressed(options.compression().spec(), 0, 0, 0, 0);
            io.xmig.dataplane.pagepath.PagePipeline.CompressionTotals c = pipeline.compression();
            return new Compressed(options.compression().spec(), c.frames(), c.rawBytes(), c.compressedBytes(), c.cpuNanos());
        }
    }
}
