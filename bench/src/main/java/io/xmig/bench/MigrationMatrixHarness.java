package io.xmig.bench;

import io.xmig.control.policy.Policies;
import io.xmig.control.session.LocalMigration;
import io.xmig.control.session.MigrationOptions;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Pre-copy migrations end to end, per workload × switch policy, at a 100 MiB/s cap: {@link LocalMigration} (source
 * guest and destination agent in this process, over loopback TCP, the same page path and protocol as two hosts) with
 * {@code MigrationOptions(policy, spec, 2 channels, 100 MiB/s, verify=true, 30 s)}, exactly what
 * {@code xmig migrate --local --bandwidth 100MiB} does.
 *
 * <p>Each migration gets a fresh source guest ({@code LocalMigration.migrateNew}, seed = repetition number) of the
 * given size (default 512 MiB; see docs/BENCHMARKS.md for why not 1 GiB). Repetitions are the outer loop, so the
 * machine's noise spreads over all cells. Per run it records the outcome's status, bytes sent ÷ guest memory, rounds
 * (live rounds plus the stop-and-copy round, as {@code xmig migrate} counts them), downtime (pause → RESUMED, verify
 * time excluded, as the session measures it), total time, and the verification result.
 *
 * <p><b>Correctness is checked, loudly.</b> A COMPLETED run must carry a verification result (direct comparison of
 * every page of both domains) with 0 differing pages and every page checked; a FAILED run whose error says pages
 * differ is also a verification failure. Either stops the harness with a non-zero exit after printing the run. Other
 * FAILED or ABORTED runs are reported in the table as such (a policy may abort by design).
 *
 * <p>Usage: {@code MigrationMatrixHarness [reps] [memory]}, default 3 and 512M; memory takes K/M/G suffixes.
 */
public final class MigrationMatrixHarness {
    static final List<String> WORKLOADS = List.of(
            "idle",
            "sweep:rate=10k,ws=256M",
            "random:rate=10k,ws=256M",
            "hotcold:rate=50k,ws=256M,hot=16M,hot_share=0.9",
            "phased:rate=40k,ws=256M,quiet=1s,burst=1s,quiet_rate=1k",
            "kv:ws=256M,rps=20k,put=0.2");
    static final List<String> POLICIES = List.of("xen-default", "downtime-limit");
    static final long BANDWIDTH = 100L << 20;                           // 100 MiB/s
    static final int CHANNELS = 2;

    record Run(String workload, String policy, int rep, MigrationOutcome.Status status, double bytesRatio, int rounds,
               double downtimeMs, double totalS, long verifiedPages, long differing, String error) {}

    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        long bytes = args.length > 1 ? parseSize(args[1]) : 512L << 20;
        long pages = bytes / GuestMemory.PAGE_SIZE;
        BenchSupport.reportJvmFlags();
        System.out.printf(Locale.ROOT, "# migration matrix: %d MiB guest, %d workloads x %s, %d reps, %d channels, %d MiB/s, verify on; "
                        + "%d CPUs, load average %.2f at start%n", bytes >> 20, WORKLOADS.size(), POLICIES, reps, CHANNELS,
                BANDWIDTH >> 20, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        List<Run> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        System.out.println();
        System.out.println("| rep | workload | policy | status | sent / guest | rounds | downtime ms | total s | verified pages, differing | per-round pages | load |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = BenchSupport.simulator(hv);
            for (int rep = 1; rep <= reps; rep++) {
                for (String workload : WORKLOADS) {
                    for (String policy : POLICIES) {
                        MigrationOptions options = new MigrationOptions(Policies.create(policy), policy, CHANNELS, BANDWIDTH,
                                true, Duration.ofSeconds(30));
                        LocalMigration.Result r = LocalMigration.migrateNew(hv, pages, workload, rep, options, s -> { });
                        MigrationOutcome o = r.outcome();
                        sim.destroy(r.sourceDomid());
                        if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
                        Run run = new Run(workload, policy, rep, o.status(), (double) o.bytesSent() / (pages * GuestMemory.PAGE_SIZE),
                                o.rounds().size(), o.downtimeNanos() / 1e6, o.totalNanos() / 1e9,
                                o.verify() == null ? -1 : o.verify().pagesChecked(),
                                o.verify() == null ? -1 : o.verify().pagesDiffering(), o.error());
                        runs.add(run);
                        System.out.printf(Locale.ROOT, "| %d | `%s` | %s | %s | %.3f | %d | %s | %.2f | %s | %s | %.2f |%n", rep, workload, policy,
                                o.status(), run.bytesRatio, run.rounds,
                                o.status() == MigrationOutcome.Status.COMPLETED ? String.format(Locale.ROOT, "%.1f", run.downtimeMs) : "-",
                                run.totalS, o.verify() == null ? "-" : run.verifiedPages + ", " + run.differing,
                                String.join(" ", o.rounds().stream().map(x -> Long.toString(x.pagesSent())).toList()),
                                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                        if (o.error() != null) System.out.println("#   error: " + o.error());
                        checkVerified(run, pages);
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n# %d migrations in %.0f s%n", runs.size(), (System.nanoTime() - t0) / 1e9);
        summary(runs, reps);
    }

    /** Every completed run verified every page and found no difference; a failure that says pages differ is fatal too. */
    private static void checkVerified(Run r, long pages) {
        String where = r.workload + " / " + r.policy + " / rep " + r.rep;
        if (r.status == MigrationOutcome.Status.COMPLETED) {
            if (r.verifiedPages != pages || r.differing != 0) {
                throw new IllegalStateException("VERIFICATION FAILED: " + where + ": " + r.verifiedPages + " pages checked of "
                        + pages + ", " + r.differing + " differ");
            }
        } else if (r.differing > 0 || (r.error != null && r.error.contains("differ"))) {
            throw new IllegalStateException("VERIFICATION FAILED: " + where + ": " + r.status + ": " + r.error);
        }
    }

    private static void summary(List<Run> runs, int reps) {
        Map<String, List<Run>> cells = new LinkedHashMap<>();
        for (Run r : runs) cells.computeIfAbsent(r.workload + "\u0000" + r.policy, k -> new ArrayList<>()).add(r);
        System.out.printf("%n| workload | policy | status (of %d) | sent / guest min / median / max | rounds min / median / max "
                + "| downtime ms min / median / max | total s min / median / max |%n|---|---|---|---|---|---|---|%n", reps);
        for (List<Run> cell : cells.values()) {
            Run first = cell.get(0);
            Map<MigrationOutcome.Status, Integer> status = new LinkedHashMap<>();
            for (Run r : cell) status.merge(r.status, 1, Integer::sum);
            List<Run> completed = cell.stream().filter(r -> r.status == MigrationOutcome.Status.COMPLETED).toList();
            System.out.printf(Locale.ROOT, "| `%s` | %s | %s | %s | %s | %s | %s |%n", first.workload, first.policy,
                    String.join(", ", status.entrySet().stream().map(e -> e.getValue() + " " + e.getKey().name().toLowerCase(Locale.ROOT)).toList()),
                    mmm(cell, Run::bytesRatio, "%.3f"), mmm(cell, r -> r.rounds, "%.0f"),
                    completed.isEmpty() ? "-" : mmm(completed, Run::downtimeMs, "%.1f"), mmm(cell, Run::totalS, "%.2f"));
        }
    }

    private static String mmm(List<Run> runs, ToDoubleFunction<Run> f, String fmt) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return String.format(Locale.ROOT, fmt + " / " + fmt + " / " + fmt, v[0], PagePathThroughputHarness.median(v), v[v.length - 1]);
    }

    static long parseSize(String s) {
        String t = s.strip().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long mult = 1;
        if (t.endsWith("K")) mult = 1L << 10;
        else if (t.endsWith("M")) mult = 1L << 20;
        else if (t.endsWith("G")) mult = 1L << 30;
        if (mult != 1) t = t.substring(0, t.length() - 1);
        return Long.parseLong(t) * mult;
    }

    private MigrationMatrixHarness() {}
}
