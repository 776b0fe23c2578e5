package io.xmig.bench;

import io.xmig.control.session.MigrationOutcome;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Post-copy and the hybrid next to pre-copy: per workload × {xen-default, downtime-limit, postcopy-only,
 * postcopy-after-first-pass, hybrid-threshold} at a 100 MiB/s cap, verify on, each migration through {@link
 * MigrationRuns#migrate} (= {@code xmig migrate --local --bandwidth 100MiB}, a fresh source guest per run, seed =
 * repetition; repetitions are the outer loop so the machine's noise spreads over every cell).
 *
 * <p>{@code downtime-limit} runs as {@code downtime-limit:max-rounds=8}: on the sweep at twice the link it cannot meet
 * its limit and would otherwise go on for its default 30 rounds before aborting (on-cap=abort).
 *
 * <p>Per run: status, bytes sent ÷ guest memory, downtime (source pause → destination resume), total time (start → end,
 * verification included), and for a run that switched to post-copy the report's {@code postcopy} fields: remote faults,
 * fault round trip median / p99, vCPU blocktime. Remote faults are divided by two measures of the writable working set:
 * the pages the guest wrote during the migration window (the simulator's written-pages record, {@link MigrationRuns})
 * and the workload's {@code ws=} size. For kv, the request latency p99 during the migration. Every completed run must
 * have verified with 0 differing pages ({@link MigrationRuns#checkVerified}); otherwise the harness stops, non-zero.
 *
 * <p>After the matrix, the fault round trip of {@code postcopy-only} on {@code random} and {@code kv} over
 * {@code latency-reps} repetitions: the matrix's runs of those two cells plus extra runs (seeds reps+1 ...) up to that
 * count.
 *
 * <p>Usage: {@code PostcopyMatrixHarness [reps] [memory] [latency-reps]}, default 3, 512M, 5. For a smoke test the lists can
 * be narrowed: {@code -Dxmig.bench.workloads='idle;kv:ws=16M,rps=20k'} and {@code -Dxmig.bench.policies=postcopy-only}
 * (semicolon-separated).
 */
public final class PostcopyMatrixHarness {
    static final List<String> WORKLOADS = List.of(
            "idle",
            "sweep:rate=10k,ws=128M",
            "random:rate=10k,ws=128M",
            "hotcold:rate=50k,ws=128M,hot=8M,hot_share=0.9",
            "phased:rate=40k,ws=128M,quiet=1s,burst=1s,quiet_rate=1k",
            "kv:ws=128M,rps=20k,put=0.2",
            "sweep:rate=51200,ws=128M");                                // 200 MiB/s of dirtying: twice the link
    static final List<String> POLICIES = List.of("xen-default", "downtime-limit:max-rounds=8", "postcopy-only",
            "postcopy-after-first-pass", "hybrid-threshold");
    static final String LATENCY_POLICY = "postcopy-only";

    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        long bytes = args.length > 1 ? MigrationMatrixHarness.parseSize(args[1]) : 512L << 20;
        int latencyReps = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        List<String> workloads = list("xmig.bench.workloads", WORKLOADS);
        List<String> policies = list("xmig.bench.policies", POLICIES);
        long pages = bytes / GuestMemory.PAGE_SIZE;
        BenchSupport.reportJvmFlags();
        System.out.printf(Locale.ROOT, "# post-copy matrix: %d MiB guest, %d workloads x %s, %d reps, %d channels, %d MiB/s, "
                        + "verify on; fault latency over %d reps; %d CPUs, load average %.2f at start%n", bytes >> 20,
                workloads.size(), policies, reps, MigrationRuns.CHANNELS, MigrationRuns.BANDWIDTH >> 20, latencyReps,
                Runtime.getRuntime().availableProcessors(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        List<MigrationRuns.Measured> runs = new ArrayList<>(), extra = new ArrayList<>();
        long t0 = System.nanoTime(), waited = 0;
        System.out.println();
        System.out.println("| rep | workload | policy | status | switch | sent / guest | downtime ms | total ms | remote faults "
                + "| written in window | faults / written | faults / ws | blocktime ms | fault p50 / p99 ms | kv p99 µs before / during "
                + "| verified, differing | load |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = BenchSupport.simulator(hv);
            for (int rep = 1; rep <= reps; rep++) {
                for (String workload : workloads) {
                    for (String policy : policies) {
                        waited += MigrationRuns.awaitNoOtherBenchmark(Duration.ofMinutes(15));
                        runs.add(run(hv, sim, pages, workload, policy, rep));
                    }
                }
            }
            for (String workload : workloads) {
                if (!(workload.startsWith("random") || workload.startsWith("kv")) || !policies.contains(LATENCY_POLICY)) continue;
                for (int rep = reps + 1; rep <= latencyReps; rep++) {
                    waited += MigrationRuns.awaitNoOtherBenchmark(Duration.ofMinutes(15));
                    extra.add(run(hv, sim, pages, workload, LATENCY_POLICY, rep));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n# %d migrations in %.0f s (%.0f s of it waiting for other benchmark JVMs)%n",
                runs.size() + extra.size(), (System.nanoTime() - t0) / 1e9, waited / 1e3);
        summary(runs, reps, pages);
        latency(runs, extra);
    }

    private static MigrationRuns.Measured run(XenHypervisor hv, GuestSimulator sim, long pages, String workload, String policy,
                                              int rep) throws InterruptedException {
        MigrationRuns.Measured m = MigrationRuns.migrate(hv, sim, pages, workload, policy, rep);
        MigrationOutcome o = m.outcome();
        MigrationOutcome.Postcopy pc = o.postcopy();
        long ws = MigrationRuns.wsPages(workload);
        System.out.printf(Locale.ROOT, "| %d | `%s` | %s | %s | %s | %.3f | %s | %.0f | %s | %d | %s | %s | %s | %s | %s | %s | %.2f |%n",
                rep, workload, policy, o.status(), o.decision() == null ? "-" : o.decision().action() + "@" + o.decisionRound(),
                m.bytesRatio(), m.completed() ? String.format(Locale.ROOT, "%.1f", m.downtimeMs()) : "-", m.totalMs(),
                pc == null ? "-" : Long.toString(pc.remoteFaults()), m.writtenInWindow(),
                pc == null || m.writtenInWindow() == 0 ? "-" : pct((double) pc.remoteFaults() / m.writtenInWindow()),
                pc == null || ws <= 0 ? "-" : pct((double) pc.remoteFaults() / ws),
                pc == null ? "-" : String.format(Locale.ROOT, "%.1f", pc.vcpuBlocktimeNanos() / 1e6),
                pc == null ? "-" : String.format(Locale.ROOT, "%.3f / %.3f", pc.faultLatencyP50Nanos() / 1e6, pc.faultLatencyP99Nanos() / 1e6),
                m.kvDuring() == null ? "-" : String.format(Locale.ROOT, "%.1f / %.1f", m.kvBefore().p99Micros(), m.kvDuring().p99Micros()),
                o.verify() == null ? "-" : o.verify().pagesChecked() + ", " + o.verify().pagesDiffering(), m.loadAverage());
        if (o.error() != null) System.out.println("#   error: " + o.error());
        System.out.flush();
        MigrationRuns.checkVerified(m);
        return m;
    }

    private static void summary(List<MigrationRuns.Measured> runs, int reps, long pages) {
        Map<String, List<MigrationRuns.Measured>> cells = new LinkedHashMap<>();
        for (MigrationRuns.Measured r : runs) cells.computeIfAbsent(r.workload() + "\u0000" + r.policy(), k -> new ArrayList<>()).add(r);
        System.out.printf("%n## All runs (min / median / max over %d reps; downtime over completed runs)%n%n", reps);
        System.out.println("| workload | policy | status | switch | sent ÷ guest | downtime ms | total ms |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (List<MigrationRuns.Measured> cell : cells.values()) {
            MigrationRuns.Measured first = cell.get(0);
            List<MigrationRuns.Measured> completed = cell.stream().filter(MigrationRuns.Measured::completed).toList();
            System.out.printf(Locale.ROOT, "| `%s` | %s | %s | %s | %s | %s | %s |%n", first.workload(), first.policy(),
                    counts(cell.stream().map(r -> r.status().name().toLowerCase(Locale.ROOT)).toList()),
                    counts(cell.stream().map(r -> r.outcome().decision() == null ? "none"
                            : r.outcome().decision().action().name().toLowerCase(Locale.ROOT) + "@" + r.outcome().decisionRound()).toList()),
                    MigrationRuns.mmm(cell, MigrationRuns.Measured::bytesRatio, "%.3f"),
                    MigrationRuns.mmm(completed, MigrationRuns.Measured::downtimeMs, "%.1f"),
                    MigrationRuns.mmm(cell, MigrationRuns.Measured::totalMs, "%.0f"));
        }
        System.out.printf("%n## Runs that switched to post-copy (min / median / max over those runs)%n%n");
        System.out.println("| workload | policy | runs | remote faults | written in window (pages) | faults ÷ written | faults ÷ ws | "
                + "vCPU blocktime ms | postcopy ms |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        for (List<MigrationRuns.Measured> cell : cells.values()) {
            List<MigrationRuns.Measured> pc = cell.stream().filter(r -> r.postcopy() != null).toList();
            if (pc.isEmpty()) continue;
            MigrationRuns.Measured first = cell.get(0);
            long ws = MigrationRuns.wsPages(first.workload());
            List<MigrationRuns.Measured> wrote = pc.stream().filter(r -> r.writtenInWindow() > 0).toList();
            System.out.printf(Locale.ROOT, "| `%s` | %s | %d of %d | %s | %s | %s | %s | %s | %s |%n", first.workload(), first.policy(),
                    pc.size(), cell.size(),
                    MigrationRuns.mmm(pc, r -> r.postcopy().remoteFaults(), "%.0f"),
                    MigrationRuns.mmm(pc, MigrationRuns.Measured::writtenInWindow, "%.0f"),
                    MigrationRuns.mmm(wrote, r -> 100.0 * r.postcopy().remoteFaults() / r.writtenInWindow(), "%.1f %%"),
                    ws <= 0 ? "-" : MigrationRuns.mmm(pc, r -> 100.0 * r.postcopy().remoteFaults() / ws, "%.1f %%"),
                    MigrationRuns.mmm(pc, r -> r.postcopy().vcpuBlocktimeNanos() / 1e6, "%.1f"),
                    MigrationRuns.mmm(pc, r -> r.postcopy().postcopyNanos() / 1e6, "%.0f"));
        }
        List<List<MigrationRuns.Measured>> kv = cells.values().stream().filter(c -> c.get(0).kvDuring() != null).toList();
        if (!kv.isEmpty()) {
            System.out.printf("%n## kv request latency (bucket lower bounds, µs; min / median / max over reps)%n%n");
            System.out.println("| workload | policy | p99 before (500 ms) | p99 during migration | p50 during | requests during |");
            System.out.println("|---|---|---|---|---|---|");
            for (List<MigrationRuns.Measured> cell : kv) {
                MigrationRuns.Measured first = cell.get(0);
                System.out.printf(Locale.ROOT, "| `%s` | %s | %s | %s | %s | %s |%n", first.workload(), first.policy(),
                        MigrationRuns.mmm(cell, r -> r.kvBefore().p99Micros(), "%.1f"),
                        MigrationRuns.mmm(cell, r -> r.kvDuring().p99Micros(), "%.1f"),
                        MigrationRuns.mmm(cell, r -> r.kvDuring().p50Micros(), "%.2f"),
                        MigrationRuns.mmm(cell, r -> r.kvDuring().requests(), "%.0f"));
            }
        }
    }

    /** postcopy.fault_latency_ms of postcopy-only on random and kv: the matrix's runs plus the extra ones. */
    private static void latency(List<MigrationRuns.Measured> runs, List<MigrationRuns.Measured> extra) {
        List<MigrationRuns.Measured> all = new ArrayList<>(runs);
        all.addAll(extra);
        Map<String, List<MigrationRuns.Measured>> byWorkload = new LinkedHashMap<>();
        for (MigrationRuns.Measured r : all) {
            if (!r.policy().equals(LATENCY_POLICY) || r.postcopy() == null) continue;
            if (!(r.workload().startsWith("random") || r.workload().startsWith("kv"))) continue;
            byWorkload.computeIfAbsent(r.workload(), k -> new ArrayList<>()).add(r);
        }
        if (byWorkload.isEmpty()) return;
        System.out.printf("%n## Fault round trip, %s (postcopy.fault_latency_ms; min / median / max over runs)%n%n", LATENCY_POLICY);
        System.out.println("| workload | runs (seeds) | median ms | p99 ms | remote faults |");
        System.out.println("|---|---|---|---|---|");
        for (List<MigrationRuns.Measured> w : byWorkload.values()) {
            System.out.printf(Locale.ROOT, "| `%s` | %d (%s) | %s | %s | %s |%n", w.get(0).workload(), w.size(),
                    String.join(",", w.stream().map(r -> Integer.toString(r.rep())).toList()),
                    MigrationRuns.mmm(w, r -> r.postcopy().faultLatencyP50Nanos() / 1e6, "%.3f"),
                    MigrationRuns.mmm(w, r -> r.postcopy().faultLatencyP99Nanos() / 1e6, "%.3f"),
                    MigrationRuns.mmm(w, r -> r.postcopy().remoteFaults(), "%.0f"));
        }
    }

    private static String pct(double x) {
        return String.format(Locale.ROOT, "%.1f %%", 100 * x);
    }

    private static String counts(List<String> values) {
        Map<String, Integer> n = new LinkedHashMap<>();
        for (String v : values) n.merge(v, 1, Integer::sum);
        return String.join(", ", n.entrySet().stream().map(e -> e.getValue() + " " + e.getKey()).toList());
    }

    private static List<String> list(String property, List<String> fallback) {
        String v = System.getProperty(property);
        return v == null || v.isBlank() ? fallback : Arrays.stream(v.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private PostcopyMatrixHarness() {}
}
