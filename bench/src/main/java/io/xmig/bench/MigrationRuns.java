package io.xmig.bench;

import io.xmig.control.policy.Policies;
import io.xmig.control.session.LocalMigration;
import io.xmig.control.session.MigrationOptions;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.control.session.RequestLatency;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.hypervisor.PageBitmap;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the migration matrix harnesses share: one measured {@link LocalMigration} with what the guest itself saw around
 * it, the verification check (post-copy aware), waiting for other benchmark JVMs, and min / median / max cells.
 *
 * <p>{@link #migrate} runs exactly what {@code xmig migrate --local --bandwidth 100MiB} runs ({@code MigrationOptions(
 * policy, spec, 2 channels, 100 MiB/s, verify=true, 30 s)}) on a fresh source guest with seed = repetition, and records:
 * <ul>
 *   <li><b>the pages the guest wrote during the migration window</b>: the simulator's written-pages record (the
 *       workload's own record, not the dirty log) of the source, cleared just before the migration starts and read when
 *       it has returned (exact from the switch on: the source is paused then), OR-ed with the destination's record, which
 *       the destination clears when its guest resumes (docs/REPORT.md) and which is read right after the migration
 *       returned. For a post-copy run that is the writes until the last page arrived plus the few ms of verification and
 *       RESUME; for a stop-and-copy run the destination part is only those few ms;</li>
 *   <li><b>kv request latency</b>, as {@code xmig migrate} measures it: a 500 ms window of normal service before the
 *       migration (only for a {@code kv} workload: the harness waits that long first), then the source's histogram
 *       cleared at the migration's start plus the destination's (which starts empty) at its end.</li>
 * </ul>
 * Both domains are destroyed afterwards, whatever happened.
 */
final class MigrationRuns {
    static final long BANDWIDTH = 100L << 20;                           // 100 MiB/s
    static final int CHANNELS = 2;
    private static final Pattern WS = Pattern.compile("(?:^|[:,])ws=([0-9]+[KMGkmg]?)");

    private MigrationRuns() {}

    /** One migration and what was seen around it. {@code kvBefore} and {@code kvDuring} are null for other workloads. */
    record Measured(String workload, String policy, int rep, long guestPages, MigrationOutcome outcome,
                    long writtenInWindow, long destinationWritten, RequestLatency kvBefore, RequestLatency kvDuring,
                    double loadAverage) {
        MigrationOutcome.Status status() { return outcome.status(); }
        boolean completed() { return outcome.status() == MigrationOutcome.Status.COMPLETED; }
        double bytesRatio() { return (double) outcome.bytesSent() / (guestPages * GuestMemory.PAGE_SIZE); }
        double downtimeMs() { return outcome.downtimeNanos() / 1e6; }
        double totalMs() { return outcome.totalNanos() / 1e6; }
        MigrationOutcome.Postcopy postcopy() { return outcome.postcopy(); }
    }

    /** Migrates a new {@code pages}-page guest running {@code workload} (seed {@code rep}) under {@code policy}. */
    static Measured migrate(Hypervisor hv, GuestSimulator sim, long pages, String workload, String policy, int rep)
            throws InterruptedException {
        return migrate(hv, sim, pages, workload, policy, rep, options(policy));
    }

    /**
     * A harness's {@code [reps] [memory]} arguments (default 3 and {@code defaultBytes}), after printing the JVM flags
     * and waiting for other benchmark JVMs ({@link #awaitNoOtherBenchmark()}).
     */
    record Args(int reps, long bytes, long pages, long waitedMs) {
        static Args of(String[] args, long defaultBytes) throws InterruptedException {
            int reps = args.length > 0 ? Integer.parseInt(args[0]) : 3;
            long bytes = args.length > 1 ? MigrationMatrixHarness.parseSize(args[1]) : defaultBytes;
            BenchSupport.reportJvmFlags();
            return new Args(reps, bytes, bytes / GuestMemory.PAGE_SIZE, awaitNoOtherBenchmark());
        }
    }

    /** The harnesses' options: {@code policy}, 2 channels, 100 MiB/s, verify on, 30 s peer timeout. */
    static MigrationOptions options(String policy) {
        return new MigrationOptions(Policies.create(policy), policy, CHANNELS, BANDWIDTH, true, Duration.ofSeconds(30));
    }

    /** As above with these {@code options} (their policy must be {@code policy}). */
    static Measured migrate(Hypervisor hv, GuestSimulator sim, long pages, String workload, String policy, int rep,
                            MigrationOptions options) throws InterruptedException {
        return migrate(hv, sim, pages, workload, policy, rep, options, domid -> { }, session -> { });
    }

    /**
     * As above, with two hooks: {@code created} gets the new source guest's domid before anything else happens (a
     * forecast feed starts there), {@code onStart} gets the session before it runs (to hand it the feed's forecasts).
     */
    static Measured migrate(Hypervisor hv, GuestSimulator sim, long pages, String workload, String policy, int rep,
                            MigrationOptions options, java.util.function.IntConsumer created,
                            java.util.function.Consumer<io.xmig.control.session.MigrationSession> onStart)
            throws InterruptedException {
        boolean kv = workload.startsWith("kv");
        int source = sim.createDomain(pages, workload, rep);
        int dest = -1;
        try (Arena arena = Arena.ofConfined()) {
            created.accept(source);
            RequestLatency before = null;
            if (kv) {
                sim.latencyHistogram(source, true);
                Thread.sleep(500);
                before = RequestLatency.of(sim.latencyHistogram(source, true));
            }
            PageBitmap written = PageBitmap.allocate(arena, pages), destWritten = PageBitmap.allocate(arena, pages);
            sim.writtenPages(source, written, true);                  // the window starts here
            if (kv) sim.latencyHistogram(source, true);
            LocalMigration.Result r = LocalMigration.migrate(hv, source, options, s -> { }, onStart);
            dest = r.destinationDomid();
            long destCount = 0;
            long[] lat = kv ? sim.latencyHistogram(source, false) : null;
            if (dest >= 0) {                                          // the running side first
                destCount = sim.writtenPages(dest, destWritten, false);
                if (kv) lat = RequestLatency.sum(lat, sim.latencyHistogram(dest, false));
            }
            sim.writtenPages(source, written, false);
            written.or(destWritten);
            return new Measured(workload, policy, rep, pages, r.outcome(), written.cardinality(), destCount, before,
                    kv ? RequestLatency.of(lat) : null, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        } finally {
            sim.destroy(source);
            if (dest >= 0) sim.destroy(dest);
        }
    }

    /**
     * Fails loudly unless a completed run verified its memory with 0 differing pages and checked every page it had to:
     * all of them after a stop-and-copy; after a post-copy every page the destination's guest had not rewritten since it
     * resumed (docs/REPORT.md), so at least {@code guest pages − pages it wrote by the time the harness looked}. A run
     * that did not complete must not report differing pages either.
     */
    static void checkVerified(Measured m) {
        String where = m.workload() + " / " + m.policy() + " / rep " + m.rep();
        MigrationOutcome o = m.outcome();
        if (m.completed()) {
            if (o.verify() == null) throw new IllegalStateException("VERIFICATION MISSING: " + where);
            long checked = o.verify().pagesChecked(), differing = o.verify().pagesDiffering();
            long mustCheck = o.postcopy() == null ? m.guestPages() : m.guestPages() - m.destinationWritten();
            if (differing != 0 || checked > m.guestPages() || checked < mustCheck || checked <= 0) {
                throw new IllegalStateException("VERIFICATION FAILED: " + where + ": " + checked + " pages checked (at least "
                        + mustCheck + " of " + m.guestPages() + " required), " + differing + " differ");
            }
        } else if ((o.verify() != null && o.verify().pagesDiffering() > 0) || (o.error() != null && o.error().contains("differ"))) {
            throw new IllegalStateException("VERIFICATION FAILED: " + where + ": " + o.status() + ": " + o.error());
        }
    }

    /**
     * Waits while another benchmark JVM runs on this machine (a java process with xmig-bench.jar or JMH on its command
     * line, other than this one); returns the milliseconds waited. Gives up after {@code -Dxmig.bench.maxWaitSeconds}
     * (default 1200); 0 does not wait at all and only prints which other benchmark JVMs are running.
     */
    static long awaitNoOtherBenchmark() throws InterruptedException {
        return awaitNoOtherBenchmark(Duration.ofSeconds(Long.getLong("xmig.bench.maxWaitSeconds", 1200)));
    }

    /** As above, waiting at most {@code maxWait}. */
    static long awaitNoOtherBenchmark(Duration maxWait) throws InterruptedException {
        long t0 = System.nanoTime();
        if (maxWait.isZero()) {                  // -Dxmig.bench.maxWaitSeconds=0: run anyway, but say so
            List<String> others = otherBenchmarks();
            if (!others.isEmpty()) System.out.println("# NOT waiting for " + others.size() + " other benchmark JVM(s): " + others);
            return 0;
        }
        boolean said = false;
        while (true) {
            List<String> others = otherBenchmarks();
            if (others.isEmpty()) return (System.nanoTime() - t0) / 1_000_000;
            if (System.nanoTime() - t0 > maxWait.toNanos()) {
                throw new IllegalStateException("another benchmark JVM kept running for " + maxWait + ": " + others);
            }
            if (!said) System.out.println("# waiting for another benchmark JVM to finish: " + others);
            said = true;
            Thread.sleep(5000);
        }
    }

    private static List<String> otherBenchmarks() {
        long self = ProcessHandle.current().pid();
        return ProcessHandle.allProcesses().filter(p -> p.pid() != self).filter(p -> {
            String cmd = p.info().commandLine().orElse("");
            String exe = p.info().command().orElse("");
            return exe.endsWith("java") && (cmd.contains("xmig-bench") || cmd.contains("org.openjdk.jmh") || cmd.contains("JmhMain"));
        }).map(p -> p.pid() + " " + abbreviate(p.info().commandLine().orElse(""))).toList();
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "...";
    }

    /** The workload's {@code ws=} size in pages, or -1 when it has none (idle, a trace). */
    static long wsPages(String workload) {
        Matcher m = WS.matcher(workload);
        return m.find() ? MigrationMatrixHarness.parseSize(m.group(1)) / GuestMemory.PAGE_SIZE : -1;
    }

    /** "min / median / max" of {@code f} over {@code runs} with {@code fmt}, or "-" when there are none. */
    static <T> String mmm(List<T> runs, ToDoubleFunction<T> f, String fmt) {
        if (runs.isEmpty()) return "-";
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return String.format(Locale.ROOT, fmt + " / " + fmt + " / " + fmt, v[0], PagePathThroughputHarness.median(v), v[v.length - 1]);
    }
}
