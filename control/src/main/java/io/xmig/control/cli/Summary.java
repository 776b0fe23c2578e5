package io.xmig.control.cli;

import io.xmig.control.report.MigrationReport;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.dataplane.hypervisor.SimCounters;

import java.io.PrintWriter;
import java.util.List;

/** The end-of-migration summary a person reads, and the JSON report built from the same outcome. */
record Summary(MigrationOutcome o, String workload, SimCounters source, SimCounters destination, long destinationSteps,
               MigrationReport.KvLatency kv, Long startWaitMs) {

    void print(PrintWriter out) {
        MigrationReport r = report(o, workload, source, destination, kv, startWaitMs);
        out.printf("xmig migrate: %s%n", r.status().name().toLowerCase(java.util.Locale.ROOT));
        out.printf("  guest     %d MiB, workload %s%n", r.guestBytes() >> 20, workload);
        out.printf("  policy    %s, %d channel(s), bandwidth %s%n", r.policy(), r.channels(),
                r.bandwidthLimitBytesPerS() == null ? "unlimited" : String.format("%.1f MiB/s", r.bandwidthLimitBytesPerS() / 1048576.0));
        out.printf("  sent      %d pages (%d zero), %.1f MiB = %.2f x guest memory, in %d round(s)%n", r.pagesSent(),
                r.zeroPages(), r.bytesSent() / 1048576.0, (double) r.bytesSent() / r.guestBytes(), r.rounds().size());
        if (r.forecaster() != null) {
            out.printf("  forecast  %s%s%n", r.forecaster(), r.startWaitMs() == null ? ""
                    : String.format(", started after waiting %.0f ms for the quiet window", r.startWaitMs()));
        }
        if (r.switchover() != null) {
            out.printf("  switch    %s after round %d: %s%n", r.switchover().decision(), r.switchover().round(), r.switchover().reason());
        }
        out.printf("  time      %.0f ms total%s%n", r.totalTimeMs(),
                r.downtimeMs() == null ? "" : String.format(", downtime %.1f ms", r.downtimeMs()));
        if (r.verify() != null) {
            out.printf("  verify    %d pages checked (%s), %d differ%n", r.verify().pagesChecked(),
                    r.verify().method().name().toLowerCase(java.util.Locale.ROOT), r.verify().pagesDiffering());
        }
        if (destination != null) {
            out.printf("  guest     running on the destination: %d workload steps in its first moments there (%d in all)%n",
                    destinationSteps, destination.steps());
        }
        if (r.postcopy() != null) {
            MigrationReport.Postcopy p = r.postcopy();
            out.printf("  postcopy  %d faults (round trip median %.2f ms, p99 %.2f ms, vCPUs blocked %.1f ms in all), %d pages pulled,"
                    + " %d pushed, %d pre-paged (%d then written), %.0f ms%n", p.remoteFaults(), p.faultLatencyMs().median(),
                    p.faultLatencyMs().p99(), p.vcpuBlocktimeMs(), p.pagesPulled(), p.pagesPushed(), p.prepagedSent(),
                    p.prepagedUsed(), p.postcopyMs());
        }
        if (kv != null) {
            out.printf("  kv        p99 request latency %.0f us before, %.0f us during, %.0f us after the migration (%d, %d, %d requests)%n",
                    kv.before().p99(), kv.during().p99(), kv.after().p99(), kv.before().requests(), kv.during().requests(),
                    kv.after().requests());
        }
        if (r.resend() != null) {
            out.printf("  resend    %s: %d pages resent (%.2f per guest page), %d deferred, %d skipped%n", r.resend().rule(),
                    r.resend().pagesResent(), r.resend().pagesResentPerGuestPage(), r.resend().deferredPages(),
                    r.resend().skippedPages());
        }
        if (r.compression() != null && r.compression().frames() > 0) {
            out.printf("  lz4       %d frames, %.1f MiB -> %.1f MiB (saved %.1f MiB), %.0f ms CPU%n", r.compression().frames(),
                    r.compression().rawBytes() / 1048576.0, r.compression().wireBytes() / 1048576.0,
                    r.compression().bytesSaved() / 1048576.0, r.compression().cpuMs());
        }
        if (r.error() != null) out.printf("  error     %s%n", r.error().message());
        out.flush();
    }

    static MigrationReport report(MigrationOutcome o, String workload, SimCounters source, SimCounters destination,
                                  MigrationReport.KvLatency kv, Long startWaitMs) {
        double stall = Math.max(source == null ? 0 : source.maxStallNs(), destination == null ? 0 : destination.maxStallNs()) / 1e6;
        List<MigrationReport.Round> rounds = new java.util.ArrayList<>();
        for (int i = 0; i < o.rounds().size(); i++) {
            rounds.add(MigrationReport.Round.of(o.rounds().get(i), o.resend().deferredPerRound().get(i),
                    o.resend().skippedPerRound().get(i), o.decisionAfter(i)));
        }
        MigrationReport.Status status = switch (o.status()) {
            case COMPLETED -> MigrationReport.Status.COMPLETED;
            case ABORTED -> MigrationReport.Status.ABORTED;
            case FAILED -> MigrationReport.Status.FAILED;
        };
        return new MigrationReport(status, o.policy(), workload, o.guestPages(), o.guestPages() * o.pageSize(),
                o.pageSize(), o.channels(), o.bandwidthLimit() > 0 ? o.bandwidthLimit() : null, o.bytesSent(),
                o.pagesSent(), o.zeroPages(), rounds, o.totalNanos() / 1e6,
                o.status() == MigrationOutcome.Status.COMPLETED ? o.downtimeNanos() / 1e6 : null,
                o.verify() == null ? null : o.verifyNanos() / 1e6,
                source == null && destination == null ? null : stall,
                o.decision() == null ? null : MigrationReport.Switchover.of(o.decisionRound(), o.decision()),
                o.verify() == null ? null : new MigrationReport.Verify(o.verify().pagesChecked(), o.verify().pagesDiffering(),
                        MigrationReport.VerifyMethod.of(o.verifyMethod())),
                o.error() == null ? null : new MigrationReport.ErrorInfo(o.error()), o.startedAt(), postcopy(o.postcopy()), kv,
                new MigrationReport.Resend(o.resend().rule(), o.pagesResent(),
                        o.guestPages() > 0 ? (double) o.pagesResent() / o.guestPages() : 0, o.resend().deferredPages(),
                        o.resend().skippedPages(), o.resend().clusterNanos() / 1e6),
                compression(o.compression()), o.forecaster(), startWaitMs == null ? null : startWaitMs.doubleValue());
    }

    private static MigrationReport.Compression compression(MigrationOutcome.Compressed c) {
        return new MigrationReport.Compression(c.mode(), c.frames(), c.rawBytes(), c.compressedBytes(),
                c.rawBytes() - c.compressedBytes(), c.rawBytes() > 0 ? (double) c.compressedBytes() / c.rawBytes() : null,
                c.cpuNanos() / 1e6);
    }

    private static MigrationReport.Postcopy postcopy(MigrationOutcome.Postcopy p) {
        if (p == null) return null;
        return new MigrationReport.Postcopy(p.switchRound(), p.remoteFaults(),
                new MigrationReport.Latency(p.faultLatencyP50Nanos() / 1e6, p.faultLatencyP99Nanos() / 1e6),
                p.vcpuBlocktimeNanos() / 1e6, p.pagesPushed(), p.pagesPulled(), p.prepagedSent(), p.prepagedUsed(),
                p.postcopyNanos() / 1e6, p.missingAtResume());
    }
}
