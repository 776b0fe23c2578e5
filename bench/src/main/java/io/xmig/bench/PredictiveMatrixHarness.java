package io.xmig.bench;

import io.xmig.control.plan.MigrationPlanner;
import io.xmig.control.plan.PlanInputs;
import io.xmig.control.policy.Forecast;
import io.xmig.control.policy.Policies;
import io.xmig.control.policy.PredictivePolicy;
import io.xmig.control.session.MigrationOptions;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.control.telemetry.ForecastFeed;
import io.xmig.control.telemetry.ForecastSources;
import io.xmig.control.telemetry.TraceCatalog;
import io.xmig.control.telemetry.TraceSpec;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.telemetry.TelemetryTrace;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The predictive policy next to every earlier policy on the same workloads, and {@code xmig plan}'s predictions next to
 * what each run measured (docs/BENCHMARKS.md, "Predictive policy").
 *
 * <p>Every run: a fresh source guest (seed = repetition), a forecast feed on it from its first moment (the run's
 * forecaster; the bundled LSTM for the non-predictive policies, which only the plan uses), {@value #WARMUP_SAMPLES}
 * samples of warm-up, then the plan of the run's policy from the feed's latest forecast ({@link MigrationPlanner}, the
 * same inputs {@code xmig plan} uses), then the migration through {@link MigrationRuns#migrate} (verify on). The
 * {@code oracle} runs first record a twin of the same guest for {@value #ORACLE_SECONDS} s. Repetitions are the outer
 * loop, so the machine's noise spreads over every cell.
 *
 * <p>Usage: {@code PredictiveMatrixHarness [reps] [memory] [bandwidth]}, default 2, 256M, 64M (bytes/s). Narrow with
 * {@code -Dxmig.bench.workloads=phased;kv} (names) and {@code -Dxmig.bench.configs=predictive/lstm;xen-default}.
 */
public final class PredictiveMatrixHarness {
    static final int WARMUP_SAMPLES = 12;                                        // 3 s at 250 ms
    static final int ORACLE_SECONDS = 40;
    static final String LIMIT = "100ms";

    /** A policy and the forecaster that feeds it (null: none; the plan then uses the LSTM). */
    record Config(String label, String policy, String forecaster) {}

    static final List<Config> CONFIGS = List.of(
            new Config("xen-default", "xen-default", null),
            new Config("downtime-limit", "downtime-limit:limit=" + LIMIT + ",max-rounds=12,on-cap=stop", null),
            new Config("postcopy-only", "postcopy-only", null),
            new Config("postcopy-after-first-pass", "postcopy-after-first-pass:limit=" + LIMIT, null),
            new Config("hybrid-threshold", "hybrid-threshold:limit=" + LIMIT, null),
            new Config("predictive/lstm", "predictive:limit=" + LIMIT, "lstm:bundled"),
            new Config("predictive/oracle", "predictive:limit=" + LIMIT, "oracle"),
            new Config("predictive/ewma", "predictive:limit=" + LIMIT, "ewma"),
            new Config("predictive/last-value", "predictive:limit=" + LIMIT, "last-value"));

    /** Workloads by name; {@code bursty} is the trace family of the forecasting dataset, replayed per seed. */
    static final Map<String, String> WORKLOADS = new LinkedHashMap<>();

    static {
        WORKLOADS.put("phased", "phased:rate=40000,quiet=2000ms,burst=1500ms,quiet_rate=500,ws=96M");
        WORKLOADS.put("bursty", "bursty");
        WORKLOADS.put("sweep", "sweep:rate=25000,ws=64M");
        WORKLOADS.put("kv", "kv:rps=20000,put=0.3,ws=64M");
    }

    record Run(String workload, Config config, int rep, MigrationRuns.Measured m, MigrationPlanner.Prediction plan,
               String forecaster, ForecastFeed.Stats inference) {}

    public static void main(String[] args) throws Exception {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        long bytes = args.length > 1 ? MigrationMatrixHarness.parseSize(args[1]) : 256L << 20;
        long bandwidth = args.length > 2 ? MigrationMatrixHarness.parseSize(args[2]) : 64L << 20;
        long pages = bytes / GuestMemory.PAGE_SIZE;
        List<String> workloads = pick("xmig.bench.workloads", new ArrayList<>(WORKLOADS.keySet()));
        List<String> labels = pick("xmig.bench.configs", CONFIGS.stream().map(Config::label).toList());
        List<Config> configs = CONFIGS.stream().filter(c -> labels.contains(c.label())).toList();
        BenchSupport.reportJvmFlags();
        System.out.printf(Locale.ROOT, "# predictive matrix: %d MiB guest, %d MiB/s, %d channels, limit %s, workloads %s, %d reps, "
                        + "%d CPUs, load average %.2f at start%n", bytes >> 20, bandwidth >> 20, MigrationRuns.CHANNELS, LIMIT,
                workloads, reps, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        Path replays = Files.createTempDirectory("xmig-bursty");
        List<Run> runs = new ArrayList<>();
        System.out.println();
        System.out.println("| rep | workload | config | status | switch after | sent / guest | downtime ms | total ms | remote faults "
                + "| kv p99 µs during | plan: ending, downtime ms, sent / guest, total ms, faults | inference p99 ms | load |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = BenchSupport.simulator(hv);
            for (int rep = 1; rep <= reps; rep++) {
                for (String w : workloads) {
                    String workload = workload(w, rep, replays);
                    for (Config c : configs) {
                        MigrationRuns.awaitNoOtherBenchmark(Duration.ofMinutes(15));
                        Run r = run(hv, sim, pages, bandwidth, w, workload, c, rep);
                        MigrationRuns.checkVerified(r.m());
                        runs.add(r);
                        printRun(r);
                    }
                }
            }
        }
        summary(runs, workloads, configs);
        planErrors(runs, configs);
        inference(runs);
    }

    private static Run run(XenHypervisor hv, GuestSimulator sim, long pages, long bandwidth, String name, String workload,
                           Config c, int rep) throws InterruptedException {
        String spec = c.forecaster() == null ? ForecastSources.DEFAULT_SPEC : c.forecaster();
        TelemetryTrace twin = spec.equals("oracle") ? ForecastSources.recordTwin(hv, pages, workload, rep, ORACLE_SECONDS * 1000L) : null;
        ForecastFeed[] feed = new ForecastFeed[1];
        MigrationPlanner.Prediction[] plan = new MigrationPlanner.Prediction[1];
        try {
            MigrationOptions options = new MigrationOptions(Policies.create(c.policy()), c.policy(), MigrationRuns.CHANNELS,
                    bandwidth, true, Duration.ofSeconds(30));
            MigrationRuns.Measured m = MigrationRuns.migrate(hv, sim, pages, workload, c.policy(), rep, options, domid -> {
                feed[0] = ForecastSources.startFeed(hv, domid, ForecastSources.choose(spec, () -> twin));
                try {
                    feed[0].awaitSamples(WARMUP_SAMPLES, Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                Forecast f = feed[0].latest().orElseThrow(() -> new IllegalStateException("no forecast after the warm-up"));
                PlanInputs in = new PlanInputs(pages, PlanInputs.countZeroPages(hv.memory(domid)), (int) GuestMemory.PAGE_SIZE,
                        bandwidth, f, PredictivePolicy.DEFAULT_OVERHEAD_NANOS / 1e9);
                plan[0] = MigrationPlanner.predict(Policies.create(c.policy()), c.policy(), in);
            }, session -> {
                if (c.forecaster() != null) session.forecasts(feed[0].forecaster(), feed[0]::latest);
            });
            return new Run(name, c, rep, m, plan[0], feed[0].forecaster(), feed[0].stats());
        } finally {
            if (feed[0] != null) feed[0].close();
        }
    }

    /** The workload spec of {@code name} for seed {@code rep}; bursty writes its replay curve first. */
    static String workload(String name, int rep, Path dir) throws Exception {
        String w = WORKLOADS.getOrDefault(name, name);
        if (!w.equals("bursty")) return w;
        TraceSpec t = TraceCatalog.spec("bursty", rep, 120);
        Path f = dir.resolve("bursty-" + rep + ".csv");
        Files.writeString(f, t.replay());
        return t.workload().replace(TraceSpec.REPLAY_FILE, f.toString());
    }

    private static void printRun(Run r) {
        MigrationRuns.Measured m = r.m();
        MigrationOutcome o = m.outcome();
        MigrationPlanner.Prediction p = r.plan();
        System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %s | %.2f | %.1f | %.0f | %s | %s | %s, %.1f, %.2f, %.0f, %.0f | %.3f | %.2f |%n",
                r.rep(), r.workload(), r.config().label(), o.status().name().toLowerCase(Locale.ROOT),
                o.decision() == null ? "-" : o.decision().action().name().toLowerCase(Locale.ROOT) + " after " + o.decisionRound(),
                m.bytesRatio(), m.downtimeMs(), m.totalMs(), o.postcopy() == null ? "0" : Long.toString(o.postcopy().remoteFaults()),
                m.kvDuring() == null ? "-" : String.format(Locale.ROOT, "%.0f", m.kvDuring().p99Micros()),
                p.ending(), p.downtimeMs(), p.bytes() / (double) (m.guestPages() * GuestMemory.PAGE_SIZE), p.totalMs(), p.remoteFaults(),
                r.inference().p99Micros() / 1e3, m.loadAverage());
    }

    static double faults(Run r) {
        return r.m().outcome().postcopy() == null ? 0 : r.m().outcome().postcopy().remoteFaults();
    }

    private static void summary(List<Run> runs, List<String> workloads, List<Config> configs) {
        System.out.println();
        System.out.println("## Summary: min / median / max over the repetitions (completed runs)");
        System.out.println();
        System.out.println("| workload | config | completed | downtime ms | sent / guest | total ms | remote faults | kv p99 µs during |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String w : workloads) {
            for (Config c : configs) {
                List<Run> cell = runs.stream().filter(r -> r.workload().equals(w) && r.config().equals(c)).toList();
                List<Run> done = cell.stream().filter(r -> r.m().completed()).toList();
                List<Run> kv = done.stream().filter(r -> r.m().kvDuring() != null).toList();
                System.out.printf(Locale.ROOT, "| %s | %s | %d/%d | %s | %s | %s | %s | %s |%n", w, c.label(), done.size(), cell.size(),
                        MigrationRuns.mmm(done, r -> r.m().downtimeMs(), "%.1f"), MigrationRuns.mmm(done, r -> r.m().bytesRatio(), "%.2f"),
                        MigrationRuns.mmm(done, r -> r.m().totalMs(), "%.0f"), MigrationRuns.mmm(done, PredictiveMatrixHarness::faults, "%.0f"),
                        MigrationRuns.mmm(kv, r -> r.m().kvDuring().p99Micros(), "%.0f"));
            }
        }
    }

    /** Plan error per config, over every completed run: (predicted − measured) / measured. */
    private static void planErrors(List<Run> runs, List<Config> configs) {
        System.out.println();
        System.out.println("## xmig plan vs measured: (predicted - measured) / measured, min / median / max over completed runs");
        System.out.println();
        System.out.println("| config | runs | same ending | total time error % | downtime error % | bytes error % | remote faults (predicted / measured, medians) |");
        System.out.println("|---|---|---|---|---|---|---|");
        for (Config c : configs) {
            List<Run> done = runs.stream().filter(r -> r.config().equals(c) && r.m().completed()).toList();
            long same = done.stream().filter(r -> r.m().outcome().decision() != null && r.plan().ending()
                    .equals(r.m().outcome().decision().action().name().toLowerCase(Locale.ROOT))).count();
            System.out.printf(Locale.ROOT, "| %s | %d | %d | %s | %s | %s | %s / %s |%n", c.label(), done.size(), same,
                    MigrationRuns.mmm(done, err(r -> r.plan().totalMs(), r -> r.m().totalMs()), "%+.0f"),
                    MigrationRuns.mmm(done, err(r -> r.plan().downtimeMs(), r -> r.m().downtimeMs()), "%+.0f"),
                    MigrationRuns.mmm(done, err(r -> r.plan().bytes(), r -> r.m().outcome().bytesSent()), "%+.0f"),
                    median(done, r -> r.plan().remoteFaults()), median(done, PredictiveMatrixHarness::faults));
        }
    }

    private static void inference(List<Run> runs) {
        System.out.println();
        System.out.println("## Online inference during the runs (per forecaster, per run: one observe() in wall time and in CPU time; feed thread CPU)");
        System.out.println();
        System.out.println("| forecaster | runs | samples per run (median) | wall p50 ms | wall p99 ms | CPU p50 ms | CPU p99 ms | feed thread, % of a core |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        Map<String, List<Run>> by = new LinkedHashMap<>();
        for (Run r : runs) by.computeIfAbsent(r.forecaster(), k -> new ArrayList<>()).add(r);
        by.forEach((f, rs) -> System.out.printf(Locale.ROOT, "| %s | %d | %s | %s | %s | %s | %s | %s |%n", f, rs.size(),
                median(rs, r -> r.inference().samples()), MigrationRuns.mmm(rs, r -> r.inference().p50Micros() / 1e3, "%.3f"),
                MigrationRuns.mmm(rs, r -> r.inference().p99Micros() / 1e3, "%.3f"),
                MigrationRuns.mmm(rs, r -> r.inference().cpuP50Micros() / 1e3, "%.3f"),
                MigrationRuns.mmm(rs, r -> r.inference().cpuP99Micros() / 1e3, "%.3f"),
                MigrationRuns.mmm(rs, r -> r.inference().cpuShareOfACore() * 100, "%.2f")));
    }

    private static ToDoubleFunction<Run> err(ToDoubleFunction<Run> predicted, ToDoubleFunction<Run> measured) {
        return r -> {
            double m = measured.applyAsDouble(r);
            return m == 0 ? 0 : 100 * (predicted.applyAsDouble(r) - m) / m;
        };
    }

    private static String median(List<Run> runs, ToDoubleFunction<Run> f) {
        if (runs.isEmpty()) return "-";
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return String.format(Locale.ROOT, "%.0f", PagePathThroughputHarness.median(v));
    }

    private static List<String> pick(String property, List<String> all) {
        String p = System.getProperty(property);
        if (p == null || p.isBlank()) return all;
        List<String> out = new ArrayList<>();
        for (String s : p.split(";")) if (!s.isBlank()) out.add(s.strip());
        return out;
    }
}
