package io.xmig.control.cli;

import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.LogDirtyStats;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.util.concurrent.Callable;

/**
 * {@code xmig demo}: a simulated guest runs a workload while xmig reads its log-dirty bitmap round after round, as a
 * pre-copy migration does, and prints each round's dirty pages beside the workload's own record of what it wrote.
 * The guest is paused for the instant of each CLEAN so that both records cover exactly the same interval.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a simulated guest and compare each log-dirty round with what the workload wrote.")
final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--memory", defaultValue = "128", description = "Guest memory in MiB (default: ${DEFAULT-VALUE}).")
    long memoryMiB;

    @Option(names = "--workload", defaultValue = "hotcold:rate=50k,ws=64M,hot=2M,hot_share=0.9",
            description = "Workload spec, docs/WORKLOADS.md (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--seed", defaultValue = "1", description = "Workload seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rounds", defaultValue = "10", description = "Log-dirty rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--interval-ms", defaultValue = "100", description = "Guest run time per round (default: ${DEFAULT-VALUE}).")
    int intervalMs;

    @Option(names = "--sync-tracking", description = "Force the synchronous write-protect fallback for dirty tracking.")
    boolean syncTracking;

    @Override
    public Integer call() throws InterruptedException {
        if (memoryMiB <= 0 || rounds <= 0 || intervalMs <= 0) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--memory, --rounds and --interval-ms must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        long pages = memoryMiB * 256;
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = hv.simulator().orElseThrow(() ->
                    new IllegalStateException("the demo creates a simulated guest: run it with -Dxmig.hypervisor=sim"));
            int domid = syncTracking ? sim.createDomain(pages, workload, seed, GuestSimulator.CreateFlag.SYNC_WP_TRACKING)
                    : sim.createDomain(pages, workload, seed);
            try {
                return run(out, hv, sim, domid, pages);
            } finally {
                sim.destroy(domid);
            }
        }
    }

    private int run(PrintWriter out, XenHypervisor hv, GuestSimulator sim, int domid, long pages) throws InterruptedException {
        out.printf("xmig demo: simulated guest domain %d, %d MiB (%d pages), workload %s, seed %d%n",
                domid, memoryMiB, pages, workload, seed);
        out.printf("dirty tracking: %s (kernel %s)%n", sim.tracking(domid) == GuestSimulator.Tracking.ASYNC_WP
                ? "userfaultfd asynchronous write-protect + PAGEMAP_SCAN"
                : "userfaultfd synchronous write-protect faults", System.getProperty("os.version"));
        out.printf("%5s %8s %15s %15s %15s %6s %9s%n", "round", "run_ms", "guest_writes", "workload_pages", "clean_dirty",
                "match", "clean_us");
        DirtyLog log = hv.dirtyLog(domid);
        int mismatches = 0;
        long totalDirty = 0, totalWrites = 0;
        long runStart = sim.counters(domid).runNs();
        try (Arena arena = Arena.ofConfined(); DirtyBitmap dirty = hv.newDirtyBitmap(pages)) {
            PageBitmap written = PageBitmap.allocate(arena, pages);
            hv.pause(domid);
            log.enable();
            sim.writtenPages(domid, written, true);
            long writesBefore = sim.counters(domid).writes();
            for (int round = 1; round <= rounds; round++) {
                long t0 = System.nanoTime();
                hv.unpause(domid);
                Thread.sleep(intervalMs);
                hv.pause(domid);
                long ran = System.nanoTime() - t0;
                long c0 = System.nanoTime();
                LogDirtyStats stats = log.clean(dirty, round == rounds);
                long cleanNs = System.nanoTime() - c0;
                long wrotePages = sim.writtenPages(domid, written, true);
                SimCounters c = sim.counters(domid);
                boolean match = dirty.sameBits(written);
                if (!match) mismatches++;
                totalDirty += stats.dirtyCount();
                totalWrites += c.writes() - writesBefore;
                out.printf("%5d %8.1f %15d %15d %15d %6s %9.1f%n", round, ran / 1e6, c.writes() - writesBefore, wrotePages,
                        stats.dirtyCount(), match ? "yes" : "NO", cleanNs / 1e3);
                writesBefore = c.writes();
            }
            log.disable();
            SimCounters end = sim.counters(domid);
            double seconds = (end.runNs() - runStart) / 1e9;
            out.printf("summary: %d rounds, %d pages dirtied for %d guest writes (%.0f writes/s of guest time); %s%n",
                    rounds, totalDirty, totalWrites, totalWrites / seconds,
                    mismatches == 0 ? "every CLEAN equalled the workload's own record, page for page"
                            : mismatches + " round(s) where CLEAN and the workload disagree");
        }
        return mismatches == 0 ? 0 : 1;
    }
}
