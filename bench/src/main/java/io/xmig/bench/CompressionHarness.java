package io.xmig.bench;

import io.xmig.control.session.LocalMigration;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.dataplane.heat.ResendRule;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.pagepath.Compression;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * LZ4 on PAGES frames, off / on / auto, on two kinds of guest memory: <b>random</b> (the simulator's own fill: every
 * word an xorshift64* value, which LZ4 cannot shrink) and <b>text</b> (every page of the guest rewritten, while it is
 * paused before the migration, with lines of words and numbers, about 2.4:1 under LZ4). The guest runs
 * {@code random:rate=2k,ws=64M} (word writes) during the migration, under {@code xen-default} at the harness link
 * (100 MiB/s, 2 channels), verify on, resend rule {@code none}. The three modes run back to back on the same content
 * and seed, in an order rotated per repetition.
 *
 * <p>Per run: bytes on the wire ÷ guest memory, total time, frames compressed, compressed ÷ raw, bytes saved, the
 * senders' CPU ms in LZ4, downtime. Every run must verify with 0 differing pages.
 *
 * <p>Usage: {@code CompressionHarness [reps] [memory]}, default 3 and 256M.
 */
public final class CompressionHarness {
    private static final String WORKLOAD = "random:rate=2k,ws=64M";
    private static final List<Compression> MODES = List.of(Compression.OFF, Compression.ON, Compression.AUTO);

    record Run(String content, Compression mode, int rep, MigrationOutcome o, long guestPages) {
        double bytesRatio() { return (double) o.bytesSent() / (guestPages * GuestMemory.PAGE_SIZE); }
        double totalS() { return o.totalNanos() / 1e9; }
        double packRatio() { return o.compression().rawBytes() == 0 ? 1 : (double) o.compression().compressedBytes() / o.compression().rawBytes(); }
        double cpuMs() { return o.compression().cpuNanos() / 1e6; }
        double savedMiB() { return (o.compression().rawBytes() - o.compression().compressedBytes()) / 1048576.0; }
        double downtimeMs() { return o.downtimeNanos() / 1e6; }
    }

    public static void main(String[] args) throws Exception {
        MigrationRuns.Args a = MigrationRuns.Args.of(args, 256L << 20);
        int reps = a.reps();
        long bytes = a.bytes(), pages = a.pages(), waited = a.waitedMs();
        System.out.printf(Locale.ROOT, "# compression: %d MiB guest running %s, xen-default, %d channels, %d MiB/s, verify on,"
                        + " %d reps; %d CPUs, load average %.2f at start (waited %d ms for other benchmarks)%n", bytes >> 20,
                WORKLOAD, MigrationRuns.CHANNELS, MigrationRuns.BANDWIDTH >> 20, reps, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), waited);
        System.out.println();
        System.out.println("| rep | content | lz4 | status | sent / guest | total s | downtime ms | frames compressed | compressed / raw | saved MiB | LZ4 CPU ms | load |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        List<Run> runs = new ArrayList<>();
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = BenchSupport.simulator(hv);
            for (int rep = 1; rep <= reps; rep++) {
                for (String content : List.of("random", "text")) {
                    for (int k = 0; k < MODES.size(); k++) {
                        Compression mode = MODES.get((k + rep - 1) % MODES.size());
                        Run r = new Run(content, mode, rep, migrate(hv, sim, pages, content.equals("text"), rep, mode), pages);
                        runs.add(r);
                        MigrationOutcome o = r.o();
                        System.out.printf(Locale.ROOT, "| %d | %s | %s | %s | %.3f | %.2f | %.1f | %d | %.3f | %.1f | %.0f | %.2f |%n", rep, content,
                                mode.spec(), o.status(), r.bytesRatio(), r.totalS(), r.downtimeMs(), o.compression().frames(),
                                r.packRatio(), r.savedMiB(), r.cpuMs(), ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                        if (o.status() != MigrationOutcome.Status.COMPLETED || o.verify() == null
                                || o.verify().pagesDiffering() != 0 || o.verify().pagesChecked() != pages) {
                            throw new IllegalStateException("VERIFICATION FAILED or not completed: " + content + " / " + mode + ": "
                                    + o.status() + " " + o.error() + " " + o.verify());
                        }
                    }
                }
            }
        }
        Map<String, List<Run>> cells = new LinkedHashMap<>();
        for (Run r : runs) cells.computeIfAbsent(r.content() + " " + r.mode().spec(), x -> new ArrayList<>()).add(r);
        System.out.printf("%n| content | lz4 | sent / guest min / median / max | total s min / median / max | compressed / raw median"
                + " | saved MiB median | LZ4 CPU ms min / median / max |%n|---|---|---|---|---|---|---|%n");
        for (List<Run> cell : cells.values()) {
            Run f = cell.get(0);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", f.content(), f.mode().spec(),
                    MigrationRuns.mmm(cell, Run::bytesRatio, "%.3f"), MigrationRuns.mmm(cell, Run::totalS, "%.2f"),
                    MigrationRuns.mmm(cell, Run::packRatio, "%.3f").split(" / ")[1], MigrationRuns.mmm(cell, Run::savedMiB, "%.1f").split(" / ")[1],
                    MigrationRuns.mmm(cell, Run::cpuMs, "%.0f"));
        }
    }

    private static MigrationOutcome migrate(XenHypervisor hv, GuestSimulator sim, long pages, boolean text, int rep,
                                            Compression mode) throws InterruptedException {
        int source = sim.createDomain(pages, WORKLOAD, rep);
        int dest = -1;
        try {
            if (text) {
                hv.pause(source);
                writeText(hv.memory(source), pages, rep);
                hv.unpause(source);
            }
            LocalMigration.Result r = LocalMigration.migrate(hv, source,
                    MigrationRuns.options("xen-default").with(ResendRule.NONE, mode), s -> { });
            dest = r.destinationDomid();
            return r.outcome();
        } finally {
            sim.destroy(source);
            if (dest >= 0) sim.destroy(dest);
        }
    }

    /**
     * Every page: lines of words and numbers, a stretch of one seeded 16 MiB text starting at a hashed offset (so the
     * pages of one frame rarely share text and LZ4 sees what a text page alone gives).
     */
    private static void writeText(GuestMemory memory, long pages, int seed) {
        Random r = new Random(seed);
        String[] words = {"page", "round", "dirty", "guest", "migration", "xen", "domain", "copy", "send", "the", "of",
                "and", "memory", "bitmap", "stop", "post-copy", "frame", "channel", "hot", "cold"};
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 16 << 20) {
            sb.append(words[r.nextInt(words.length)]).append(' ').append(r.nextInt(100000));
            sb.append(r.nextInt(8) == 0 ? '\n' : ' ');
        }
        byte[] text = sb.toString().getBytes(StandardCharsets.US_ASCII);
        for (long p = 0; p < pages; p += 256) {
            int n = (int) Math.min(256, pages - p);
            try (PageMapping m = memory.mapRun(p, n, true)) {
                for (int i = 0; i < n; i++) {
                    int from = (int) Math.floorMod((p + i) * 0x9E3779B97F4A7C15L, (long) (text.length - GuestMemory.PAGE_SIZE));
                    MemorySegment.copy(text, from, m.page(i), ValueLayout.JAVA_BYTE, 0, (int) GuestMemory.PAGE_SIZE);
                }
            }
        }
    }

    private CompressionHarness() {}
}
