package io.xmig.control.report;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.xmig.control.policy.Decision;
import io.xmig.control.policy.Estimate;
import io.xmig.control.policy.Forecast;
import io.xmig.control.policy.RoundStats;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The report of one migration: one JSON schema for every issue that measures migrations (docs/REPORT.md is the
 * schema, field by field). Property names are fixed by the {@code @JsonProperty} annotations, never by Java names, so
 * renaming a component cannot rename a field. Later issues add fields; they never rename or remove one.
 *
 * <p>Build one with {@link #builder()} (the fields are many and mostly numbers of the same type, so the builder names
 * each one at the call site), or with the canonical constructor. Immutable; any thread.
 *
 * @param status                  how the migration ended
 * @param policy                  the switch policy's spec as given, e.g. {@code downtime-limit:limit=300ms}
 * @param workload                the simulator's workload spec; null for a guest that is not simulated
 * @param guestPages              guest size in pages
 * @param guestBytes              guest size in bytes
 * @param pageSize                bytes per page (0 only if the migration failed before it looked at the guest)
 * @param channels                bulk channels used
 * @param bandwidthLimitBytesPerS the bandwidth cap over all bulk channels; null = unlimited
 * @param bytesSent               bytes put on the wire by all rounds, stop-and-copy included
 * @param pagesSent               pages sent by all rounds, zero pages included
 * @param zeroPages               of {@code pagesSent}, those sent as zero-page markers
 * @param rounds                  every round in order: the live rounds, then the stop-and-copy round if there was one
 * @param totalTimeMs             migration start to its end (completion, abort or failure)
 * @param downtimeMs              source pause to destination resume, verification excluded; null if the guest was
 *                                never paused for a switch (aborted or failed before it)
 * @param verifyMs                time spent verifying destination memory; null when not verified
 * @param guestMaxStallMs         the longest gap the workload itself saw (simulator counters); null when unknown
 * @param switchover              the decision that ended pre-copy (JSON {@code switch}); null if none was taken
 * @param verify                  the verification result; null when not verified
 * @param error                   what went wrong; null unless the migration failed
 * @param startedAt               when the migration started (ISO-8601, UTC)
 * @param postcopy                what post-copy did; null when the migration did not switch to post-copy
 * @param kvLatencyUs             a kv workload's request latency before, during and after the migration; null otherwise
 * @param resend                  which pages the rounds held back and how many pages were sent again; null when not
 *                                known (a report read from an older file)
 * @param compression             what LZ4 compression of PAGES frames did; null when not known
 * @param forecaster              the forecaster that fed the policy (with the fallback, if one was taken); null when none
 * @param startWaitMs             how long {@code --start-when quiet} held the start back; null when it was not asked for
 */
public record MigrationReport(
        @JsonProperty("status") Status status,
        @JsonProperty("policy") String policy,
        @JsonProperty("workload") String workload,
        @JsonProperty("guest_pages") long guestPages,
        @JsonProperty("guest_bytes") long guestBytes,
        @JsonProperty("page_size") int pageSize,
        @JsonProperty("channels") int channels,
        @JsonProperty("bandwidth_limit_bytes_per_s") Long bandwidthLimitBytesPerS,
        @JsonProperty("bytes_sent") long bytesSent,
        @JsonProperty("pages_sent") long pagesSent,
        @JsonProperty("zero_pages") long zeroPages,
        @JsonProperty("rounds") List<Round> rounds,
        @JsonProperty("total_time_ms") double totalTimeMs,
        @JsonProperty("downtime_ms") Double downtimeMs,
        @JsonProperty("verify_ms") Double verifyMs,
        @JsonProperty("guest_max_stall_ms") Double guestMaxStallMs,
        @JsonProperty("switch") Switchover switchover,
        @JsonProperty("verify") Verify verify,
        @JsonProperty("error") ErrorInfo error,
        @JsonProperty("started_at") Instant startedAt,
        @JsonProperty("postcopy") Postcopy postcopy,
        @JsonProperty("kv_latency_us") KvLatency kvLatencyUs,
        @JsonProperty("resend") Resend resend,
        @JsonProperty("compression") Compression compression,
        @JsonProperty("forecaster") String forecaster,
        @JsonProperty("start_wait_ms") Double startWaitMs) {

    /**
     * {@code resend}: the rule that chose which pages each round sent ({@code none}, {@code xen-skip},
     * {@code clustering}), pages sent again after the first pass, and pages held back over all rounds: deferred (the
     * hot cluster, sent at the stop-and-copy or the post-copy push) and skipped (Xen's rule; the next round sent them).
     * {@code pages_resent_per_guest_page} = {@code pages_resent / guest_pages}; {@code cluster_ms}: time spent on the
     * page heat and clustering over all CLEANs.
     */
    public record Resend(
            @JsonProperty("rule") String rule,
            @JsonProperty("pages_resent") long pagesResent,
            @JsonProperty("pages_resent_per_guest_page") double pagesResentPerGuestPage,
            @JsonProperty("deferred_pages") long deferredPages,
            @JsonProperty("skipped_pages") long skippedPages,
            @JsonProperty("cluster_ms") double clusterMs) {}

    /**
     * {@code compression}: the mode ({@code off}, {@code on}, {@code auto}), PAGES frames sent as PAGES_LZ4, their
     * bodies' bytes before ({@code raw_bytes}) and after ({@code wire_bytes}), the bytes saved, the ratio
     * {@code wire_bytes / raw_bytes} (null when nothing was compressed) and the senders' CPU time compressing.
     */
    public record Compression(
            @JsonProperty("mode") String mode,
            @JsonProperty("frames") long frames,
            @JsonProperty("raw_bytes") long rawBytes,
            @JsonProperty("wire_bytes") long wireBytes,
            @JsonProperty("bytes_saved") long bytesSaved,
            @JsonProperty("ratio") Double ratio,
            @JsonProperty("cpu_ms") double cpuMs) {}

    public MigrationReport {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(startedAt, "started_at");
        rounds = List.copyOf(Objects.requireNonNull(rounds, "rounds"));
        // Counts may be 0 (a migration that failed before it looked at the guest), never negative.
        if (guestPages < 0 || guestBytes < 0 || pageSize < 0 || channels < 0 || bytesSent < 0 || pagesSent < 0
                || zeroPages < 0 || (bandwidthLimitBytesPerS != null && bandwidthLimitBytesPerS <= 0)) {
            throw new IllegalArgumentException("report counts must be >= 0 and a bandwidth limit > 0 (null = unlimited)");
        }
        if (status == Status.FAILED && error == null) {
            throw new IllegalArgumentException("a failed migration's report needs an error");
        }
    }

    /** {@code status}: how the migration ended. */
    public enum Status {
        /** The guest runs on the destination. */
        @JsonProperty("completed") COMPLETED,
        /** The policy gave up; the guest runs on the source. */
        @JsonProperty("aborted") ABORTED,
        /** Something broke; {@code error} says what, and where the guest is if that is not the source. */
        @JsonProperty("failed") FAILED
    }

    /** {@code verify.method}: how destination memory was compared with the source. */
    public enum VerifyMethod {
        /** Every page's bytes compared. */
        @JsonProperty("direct") DIRECT,
        /** Per-page XXH64 hashes compared. */
        @JsonProperty("xxh64") XXH64;

        /** From its JSON name, {@code direct} or {@code xxh64}. */
        public static VerifyMethod of(String name) {
            return switch (name) {
                case "direct" -> DIRECT;
                case "xxh64" -> XXH64;
                default -> throw new IllegalArgumentException("verify method must be direct or xxh64, not '" + name + "'");
            };
        }
    }

    /**
     * One element of {@code rounds}: what one round sent, how many pages the CLEAN after it reported, and, for a live
     * round, the policy's decision after it with the forecast it saw.
     */
    public record Round(
            @JsonProperty("round") int round,
            @JsonProperty("pages_sent") long pagesSent,
            @JsonProperty("zero_pages") long zeroPages,
            @JsonProperty("bytes_sent") long bytesSent,
            @JsonProperty("pages_dirtied") long pagesDirtied,
            @JsonProperty("ms") double ms,
            @JsonProperty("bytes_per_s") long bytesPerS,
            @JsonProperty("hot_set_pages") long hotSetPages,
            @JsonProperty("deferred_pages") long deferredPages,
            @JsonProperty("skipped_pages") long skippedPages,
            @JsonProperty("decision") RoundDecision decision,
            @JsonProperty("forecast") RoundForecast forecast) {

        /** A round that held nothing back, saw no hot set and no decision. */
        public Round(int round, long pagesSent, long zeroPages, long bytesSent, long pagesDirtied, double ms, long bytesPerS) {
            this(round, pagesSent, zeroPages, bytesSent, pagesDirtied, ms, bytesPerS, 0, 0, 0, null, null);
        }

        public static Round of(RoundStats s) {
            return of(s, 0, 0, null);
        }

        /**
         * A round with the pages it deferred and skipped and the decision taken after it ({@code null} for the
         * stop-and-copy or post-copy round).
         */
        public static Round of(RoundStats s, long deferredPages, long skippedPages, Decision d) {
            return new Round(s.round(), s.pagesSent(), s.zeroPages(), s.bytesSent(), s.pagesDirtied(),
                    s.roundNanos() / 1e6, Math.round(s.bandwidthBytesPerSecond()), s.hotSetPages(), deferredPages,
                    skippedPages, d == null ? null : RoundDecision.of(d), s.forecast().map(RoundForecast::of).orElse(null));
        }
    }

    /** {@code rounds[].decision}: what the policy answered after the round, why, and what it estimated. */
    public record RoundDecision(
            @JsonProperty("action") String action,
            @JsonProperty("reason") String reason,
            @JsonProperty("estimates") List<RoundEstimate> estimates) {

        public RoundDecision {
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(reason, "reason");
            estimates = estimates == null ? List.of() : List.copyOf(estimates);
        }

        static RoundDecision of(Decision d) {
            return new RoundDecision(d.action().name().toLowerCase(Locale.ROOT), d.reason(),
                    d.estimates().stream().map(RoundEstimate::of).toList());
        }
    }

    /** {@code rounds[].decision.estimates[]}: one priced answer (io.xmig.control.policy.Estimate). */
    public record RoundEstimate(
            @JsonProperty("action") String action,
            @JsonProperty("extra_rounds") int extraRounds,
            @JsonProperty("downtime_ms") double downtimeMs,
            @JsonProperty("bytes") long bytes,
            @JsonProperty("time_ms") double timeMs,
            @JsonProperty("remote_faults") double remoteFaults,
            @JsonProperty("meets_target") boolean meetsTarget) {

        static RoundEstimate of(Estimate e) {
            return new RoundEstimate(e.action().name().toLowerCase(Locale.ROOT), e.extraRounds(), round3(e.downtimeMs()),
                    e.bytes(), round3(e.timeMs()), round3(e.remoteFaults()), e.meetsTarget());
        }
    }

    /** {@code rounds[].forecast}: the forecast the policy saw after the round. */
    public record RoundForecast(
            @JsonProperty("forecaster") String forecaster,
            @JsonProperty("interval_ms") long intervalMs,
            @JsonProperty("dirty_pages_per_s") List<Double> dirtyPagesPerS,
            @JsonProperty("cpu_util") List<Double> cpuUtil,
            @JsonProperty("working_set_pages") long workingSetPages) {

        public RoundForecast {
            Objects.requireNonNull(forecaster, "forecaster");
            dirtyPagesPerS = List.copyOf(dirtyPagesPerS);
            cpuUtil = List.copyOf(cpuUtil);
        }

        static RoundForecast of(Forecast f) {
            List<Double> d = new ArrayList<>(), c = new ArrayList<>();
            for (double v : f.horizon().dirtySeries()) d.add((double) Math.round(v));
            for (double v : f.horizon().cpuSeries()) c.add(round3(v));
            return new RoundForecast(f.forecaster(), f.horizon().intervalMillis(), d, c, f.workingSetPages());
        }
    }

    /** Three decimals: the report carries estimates, not false precision. */
    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    /**
     * {@code switch}: the decision that ended pre-copy, taken after round {@code round}.
     *
     * @param decision {@code stop_and_copy}, {@code start_postcopy} or {@code abort} (an {@code Action} in lower case)
     */
    public record Switchover(
            @JsonProperty("decision") String decision,
            @JsonProperty("round") int round,
            @JsonProperty("reason") String reason) {

        public Switchover {
            Objects.requireNonNull(decision, "decision");
            Objects.requireNonNull(reason, "reason");
        }

        public static Switchover of(int round, Decision d) {
            return new Switchover(d.action().name().toLowerCase(Locale.ROOT), round, d.reason());
        }
    }

    /** {@code verify}: destination memory compared with the source while both were paused. */
    public record Verify(
            @JsonProperty("pages_checked") long pagesChecked,
            @JsonProperty("pages_differing") long pagesDiffering,
            @JsonProperty("method") VerifyMethod method) {

        public Verify {
            Objects.requireNonNull(method, "method");
        }
    }

    /**
     * {@code postcopy}: the post-copy phase. {@code switch_round}: the round after which it switched (-1: before any);
     * {@code remote_faults}: demand faults the destination sent to the source; {@code fault_latency_ms}: their round trip
     * at the destination, request sent to page installed; {@code vcpu_blocktime_ms}: the sum of those round trips
     * (time vCPUs waited); {@code pages_pushed} / {@code pages_pulled}: pages installed from the background push / from
     * fault answers; {@code prepaged_sent}: neighbours sent with fault answers; {@code prepaged_used}: of those, pages
     * the guest then wrote (a lower bound of use: reads are not seen); {@code postcopy_ms}: switch to last page in;
     * {@code missing_at_resume}: pages the destination lacked when its guest resumed.
     */
    public record Postcopy(
            @JsonProperty("switch_round") int switchRound,
            @JsonProperty("remote_faults") long remoteFaults,
            @JsonProperty("fault_latency_ms") Latency faultLatencyMs,
            @JsonProperty("vcpu_blocktime_ms") double vcpuBlocktimeMs,
            @JsonProperty("pages_pushed") long pagesPushed,
            @JsonProperty("pages_pulled") long pagesPulled,
            @JsonProperty("prepaged_sent") long prepagedSent,
            @JsonProperty("prepaged_used") long prepagedUsed,
            @JsonProperty("postcopy_ms") double postcopyMs,
            @JsonProperty("missing_at_resume") long missingAtResume) {}

    /** {@code kv_latency_us}: request latency percentiles of a kv guest in three windows of the migration. */
    public record KvLatency(@JsonProperty("before") Window before, @JsonProperty("during") Window during,
                            @JsonProperty("after") Window after) {}

    /** Requests served in a window and their latency percentiles, microseconds (bucket lower bounds). */
    public record Window(@JsonProperty("requests") long requests, @JsonProperty("p50") double p50,
                         @JsonProperty("p99") double p99) {}

    /** A latency summary in milliseconds. */
    public record Latency(@JsonProperty("median") double median, @JsonProperty("p99") double p99) {}

    /** {@code error}: why the migration failed. */
    public record ErrorInfo(@JsonProperty("message") String message) {
        public ErrorInfo {
            Objects.requireNonNull(message, "message");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Collects a report's fields by name. Required: {@code status}, {@code policy}, {@code startedAt}, and
     * {@code error} when the status is FAILED. {@code guestBytes} defaults to {@code guestPages × pageSize}; every nullable field defaults to
     * null; counts and times default to 0. Not thread-safe.
     */
    public static final class Builder {
        private Status status;
        private String policy;
        private String workload;
        private long guestPages;
        private Long guestBytes;
        private int pageSize;
        private int channels;
        private Long bandwidthLimitBytesPerS;
        private long bytesSent, pagesSent, zeroPages;
        private final List<Round> rounds = new ArrayList<>();
        private double totalTimeMs;
        private Double downtimeMs, verifyMs, guestMaxStallMs;
        private Switchover switchover;
        private Verify verify;
        private ErrorInfo error;
        private Instant startedAt;
        private Postcopy postcopy;
        private KvLatency kvLatencyUs;
        private Resend resend;
        private Compression compression;
        private String forecaster;
        private Double startWaitMs;

        private Builder() {
        }

        public Builder status(Status v) { status = v; return this; }
        public Builder policy(String v) { policy = v; return this; }
        public Builder workload(String v) { workload = v; return this; }
        public Builder guestPages(long v) { guestPages = v; return this; }
        public Builder guestBytes(long v) { guestBytes = v; return this; }
        public Builder pageSize(int v) { pageSize = v; return this; }
        public Builder channels(int v) { channels = v; return this; }
        /** Null, 0 or negative: unlimited (JSON null). */
        public Builder bandwidthLimitBytesPerS(Long v) { bandwidthLimitBytesPerS = v == null || v <= 0 ? null : v; return this; }
        public Builder bytesSent(long v) { bytesSent = v; return this; }
        public Builder pagesSent(long v) { pagesSent = v; return this; }
        public Builder zeroPages(long v) { zeroPages = v; return this; }
        public Builder round(Round r) { rounds.add(Objects.requireNonNull(r)); return this; }
        public Builder round(RoundStats s) { return round(Round.of(s)); }
        public Builder rounds(List<Round> rs) { rounds.clear(); rounds.addAll(rs); return this; }
        public Builder totalTimeMs(double v) { totalTimeMs = v; return this; }
        public Builder downtimeMs(Double v) { downtimeMs = v; return this; }
        public Builder verifyMs(Double v) { verifyMs = v; return this; }
        public Builder guestMaxStallMs(Double v) { guestMaxStallMs = v; return this; }
        public Builder switchover(Switchover v) { switchover = v; return this; }
        public Builder switchover(int round, Decision d) { return switchover(Switchover.of(round, d)); }
        public Builder verify(Verify v) { verify = v; return this; }
        public Builder error(String message) { error = message == null ? null : new ErrorInfo(message); return this; }
        public Builder startedAt(Instant v) { startedAt = v; return this; }
        public Builder postcopy(Postcopy v) { postcopy = v; return this; }
        public Builder kvLatencyUs(KvLatency v) { kvLatencyUs = v; return this; }
        public Builder resend(Resend v) { resend = v; return this; }
        public Builder compression(Compression v) { compression = v; return this; }
        public Builder forecaster(String v) { forecaster = v; return this; }
        public Builder startWaitMs(Double v) { startWaitMs = v; return this; }

        public MigrationReport build() {
            long bytes = guestBytes != null ? guestBytes : guestPages * pageSize;
            return new MigrationReport(status, policy, workload, guestPages, bytes, pageSize, channels,
                    bandwidthLimitBytesPerS, bytesSent, pagesSent, zeroPages, rounds, totalTimeMs, downtimeMs, verifyMs,
                    guestMaxStallMs, switchover, verify, error, startedAt, postcopy, kvLatencyUs, resend, compression,
                    forecaster, startWaitMs);
        }
    }
}
