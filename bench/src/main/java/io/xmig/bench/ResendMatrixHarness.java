package io.xmig.bench;

import io.xmig.control.policy.RoundStats;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.dataplane.heat.ResendRule;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.pagepath.Compression;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The three resend rules side by side: for each repetition, workload and policy, the same guest (same spec and seed)
 * is migrated three times in a row, once per rule ({@code none}, {@code xen-skip}, {@code clustering}), through
 * {@link MigrationRuns#migrate} (100 MiB/s, 2 channels, verify on, LZ4 off so only the rule differs). The order of the
 * three rotates with the repetition so no rule always runs first on a cold machine.
 *
 * <p>Per run: pages resent per guest page ({@code pages_sent − guest_pages}, ÷ guest pages), bytes ÷ guest memory,
 * downtime, total time, pages deferred and skipped, the largest hot set a policy saw, and the time spent on heat and
 * clustering. Every completed run must verify with 0 differing pages (post-copy: every page the destination's guest
 * did not rewrite) or the harness stops ({@link MigrationRuns#checkVerified}).
 *
 * <p>The workloads are the migration matrix's at half its working set (the guest is half its size), plus a second
 * {@code hotcold} whose hot pages are rewritten about once a second instead of about eleven times.
 *
 * <p>Usage: {@code ResendMatrixHarness [reps] [memory]}, default 3 and 256M.
 */
public final class ResendMatrixHarness {
    static final List<String> WORKLOADS = List.of(
            "sweep:rate=10k,ws=128M",
            "random:rate=10k,ws=128M",
            "hotcold:rate=50k,ws=128M,hot=16M,hot_share=0.9",
            "hotcold:rate=5k,ws=128M,hot=16M,hot_share=0.9",
            "phased:rate=40k,ws=128M,quiet=1s,burst=1s,quiet_rate=1k",
            "kv:ws=128M,rps=20k,put=0.2");
    static final List<String> POLICIES = List.of("downtime-limit", "hybrid-threshold");
    static final List<ResendRule> RULES = List.of(ResendRule.NONE, ResendRule.XEN_SKIP, ResendRule.CLUSTERING);

    record Run(String workload, String policy, ResendRule rule, int rep, MigrationOutcome o, long guestPages) {
        boolean completed() { return o.status() == MigrationOutcome.Status.COMPLETED; }
        double resentPerPage() { return (double) o.pagesResent() / guestPages; }
        double bytesRatio() { return (double) o.bytesSent() / (guestPages * GuestMemory.PAGE_SIZE); }
        double downtimeMs() { return o.downtimeNanos() / 1e6; }
        double totalS() { return o.totalNanos() / 1e9; }
        long hotMax() { return o.rounds().stream().mapToLong(RoundStats::hotSetPages).max().orElse(0); }
    }

    public static void main(String[] args) throws Exception {
        MigrationRuns.Args a = MigrationRuns.Args.of(args, 256L << 20);
        int reps = a.reps();
        long bytes = a.bytes(), pages = a.pages(), waited = a.waitedMs();
        System.out.printf(Locale.ROOT, "# resend matrix: %d MiB guest, %d workloads x %s x %s, %d reps, %d channels, %d MiB/s,"
                        + " verify on, LZ4 off; %d CPUs, load average %.2f at start (waited %d ms for other benchmarks)%n",
                bytes >> 20, WORKLOADS.size(), POLICIES, RULES.stream().map(ResendRule::spec).toList(), reps,
                MigrationRuns.CHANNELS, MigrationRuns.BANDWIDTH >> 20, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), waited);
        List<Run> runs = new ArrayList<>();
        long t0 = System.nanoTime();
        System.out.println();
        System.out.println("| rep | workload | policy | rule | status | switch | resent / guest page | sent / guest | downtime ms | total s"
                + " | deferred | skipped | hot set max | heat+cluster ms | per-round pages |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = BenchSupport.simulator(hv);
            for (int rep = 1; rep <= reps; rep++) {
                for (String workload : WORKLOADS) {
                    for (String policy : POLICIES) {
                        for (int k = 0; k < RULES.size(); k++) {
                            ResendRule rule = RULES.get((k + rep - 1) % RULES.size());
                            MigrationRuns.Measured m = MigrationRuns.migrate(hv, sim, pages, workload, policy, rep,
                                    MigrationRuns.options(policy).with(rule, Compression.OFF));
                            Run run = new Run(workload, policy, rule, rep, m.outcome(), pages);
                            runs.add(run);
                            print(run);
                            MigrationRuns.checkVerified(m);
                        }
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "%n# %d migrations in %.0f s%n", runs.size(), (System.nanoTime() - t0) / 1e9);
        summary(runs, reps);
    }

    private static void print(Run r) {
        MigrationOutcome o = r.o();
        System.out.printf(Locale.ROOT, "| %d | `%s` | %s | %s | %s | %s | %.3f | %.3f | %s | %.2f | %d | %d | %d | %.1f | %s |%n", r.rep(),
                r.workload(), r.policy(), r.rule().spec(), o.status(),
                o.decision() == null ? "-" : o.decision().action().name().toLowerCase(Locale.ROOT) + " after " + o.decisionRound(),
                r.resentPerPage(), r.bytesRatio(), r.completed() ? String.format(Locale.ROOT, "%.1f", r.downtimeMs()) : "-",
                r.totalS(), o.resend().deferredPages(), o.resend().skippedPages(), r.hotMax(), o.resend().clusterNanos() / 1e6,
                String.join(" ", o.rounds().stream().map(x -> Long.toString(x.pagesSent())).toList()));
        if (o.error() != null) System.out.println("#   error: " + o.error());
    }

    private static void summary(List<Run> runs, int reps) {
        Map<String, List<Run>> cells = new LinkedHashMap<>();
        for (Run r : runs) cells.computeIfAbsent(r.workload() + "\u0000" + r.policy() + "\u0000" + r.rule(), k -> new ArrayList<>()).add(r);
        System.out.printf("%n| workload | policy | rule | completed (of %d) | resent / guest page min / median / max "
                + "| sent / guest min / median / max | downtime ms min / median / max | total s min / median / max |%n"
                + "|---|---|---|---|---|---|---|---|%n", reps);
        for (List<Run> cell : cells.values()) {
            Run first = cell.get(0);
            List<Run> done = cell.stream().filter(Run::completed).toList();
            System.out.printf(Locale.ROOT, "| `%s` | %s | %s | %d | %s | %s | %s | %s |%n", first.workload(), first.policy(),
                    first.rule().spec(), done.size(), MigrationRuns.mmm(done, Run::resentPerPage, "%.3f"),
                    MigrationRuns.mmm(done, Run::bytesRatio, "%.3f"), MigrationRuns.mmm(done, Run::downtimeMs, "%.1f"),
                    MigrationRuns.mmm(done, Run::totalS, "%.2f"));
        }
        // clustering against xen-skip, paired by (workload, policy, rep): the same guest, back to back
        System.out.printf("%n| workload | policy | clustering resent ÷ xen-skip resent, per rep | median | clustering downtime ÷ xen-skip downtime, per rep | median |%n"
                + "|---|---|---|---|---|---|%n");
        for (String w : WORKLOADS) {
            for (String p : POLICIES) {
                List<Double> resent = new ArrayList<>(), down = new ArrayList<>();
                for (int rep = 1; rep <= reps; rep++) {
                    Run c = find(runs, w, p, ResendRule.CLUSTERING, rep), x = find(runs, w, p, ResendRule.XEN_SKIP, rep);
                    if (c == null || x == null || !c.completed() || !x.completed()) continue;
                    resent.add(x.o().pagesResent() == 0 ? Double.NaN : (double) c.o().pagesResent() / x.o().pagesResent());
                    down.add(c.downtimeMs() / x.downtimeMs());
                }
                System.out.printf(Locale.ROOT, "| `%s` | %s | %s | %s | %s | %s |%n", w, p, list(resent), median(resent), list(down), median(down));
            }
        }
    }

    private static Run find(List<Run> runs, String w, String p, ResendRule rule, int rep) {
        for (Run r : runs) if (r.workload().equals(w) && r.policy().equals(p) && r.rule() == rule && r.rep() == rep) return r;
        return null;
    }

    private static String list(List<Double> v) {
        return String.join(" ", v.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList());
    }

    private static String median(List<Double> v) {
        if (v.isEmpty()) return "-";
        return String.format(Locale.ROOT, "%.2f", PagePathThroughputHarness.median(v.stream().mapToDouble(Double::doubleValue).sorted().toArray()));
    }

    private ResendMatrixHarness() {}
}
