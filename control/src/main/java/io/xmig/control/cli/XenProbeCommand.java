package io.xmig.control.cli;

import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.DomainInfo;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.LogDirtyStats;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code xmig xen-probe}: every hypervisor-view call xmig makes, once, against a live domain, with what each returned
 * (domain info, guest size, log-dirty on / CLEAN / PEEK / off, pause / unpause, a foreign-mapped batch with per-page
 * errors, the HVM context, the platform state). The first failing call fails the probe with its errno.
 */
@Command(name = "xen-probe", mixinStandardHelpOptions = true,
        description = "Exercise the hypervisor view's calls against a live domain and report what they return.")
final class XenProbeCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--domain", required = true, description = "Domain id.")
    int domid;

    @Option(names = "--report", description = "Write the JSON result here.")
    Path report;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> r = new LinkedHashMap<>();
        try (XenHypervisor hv = XenHypervisor.open()) {
            DomainInfo info = hv.domain(domid);
            r.put("domain", info);
            r.put("hvm", info.hvm());
            long pages = hv.guestPages(domid);
            r.put("guestPages", pages);
            DirtyLog log = hv.dirtyLog(domid);
            try (DirtyBitmap bits = hv.newDirtyBitmap(pages)) {
                log.enable();
                try {
                    Thread.sleep(1000);
                    LogDirtyStats c1 = log.clean(bits, false);
                    r.put("clean1", Map.of("dirtyCount", c1.dirtyCount(), "bitsSet", bits.cardinality()));
                    Thread.sleep(1000);
                    LogDirtyStats peek = log.peek(bits);
                    r.put("peek", Map.of("dirtyCount", peek.dirtyCount(), "bitsSet", bits.cardinality()));
                    hv.pause(domid);
                    r.put("pausedFlag", hv.domain(domid).paused());
                    LogDirtyStats c2 = log.clean(bits, true);
                    LogDirtyStats c3 = log.clean(bits, true);
                    r.put("cleanWhilePaused", Map.of("first", c2.dirtyCount(), "second", c3.dirtyCount()));
                    r.put("hvmContextBytes", hv.saveVcpuContext(domid).length);
                    hv.hvmPlatformState(domid).ifPresent(p -> r.put("platform", p));
                    hv.unpause(domid);
                    r.put("pausedAfterUnpause", hv.domain(domid).paused());
                } finally {
                    log.disable();
                }
            }
            r.put("mapping", mapEverything(hv.memory(domid), pages));
        }
        String text = XenSendCommand.JSON.writeValueAsString(r);
        spec.commandLine().getOut().println(text);
        if (report != null) Files.writeString(report, text);
        return 0;
    }

    /** Maps the whole p2m in batches of 1024 with per-page errors: pages mapped, holes, distinct errnos. */
    private static Map<String, Object> mapEverything(GuestMemory memory, long pages) {
        long mapped = 0, holes = 0, nonZero = 0;
        Map<Integer, Long> errnos = new java.util.TreeMap<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pfns = arena.allocate(ValueLayout.JAVA_LONG, 1024);
            MemorySegment errors = arena.allocate(ValueLayout.JAVA_INT, 1024);
            MemorySegment zero = arena.allocate(4096);
            for (long first = 0; first < pages; first += 1024) {
                int n = (int) Math.min(1024, pages - first);
                for (int i = 0; i < n; i++) pfns.setAtIndex(ValueLayout.JAVA_LONG, i, first + i);
                try (PageMapping m = memory.map(pfns, n, false, errors)) {
                    for (int i = 0; i < n; i++) {
                        int e = errors.getAtIndex(ValueLayout.JAVA_INT, i);
                        if (e != 0) {
                            holes++;
                            errnos.merge(e, 1L, Long::sum);
                        } else {
                            mapped++;
                            if (m.page(i).mismatch(zero) >= 0) nonZero++;
                        }
                    }
                }
            }
        }
        return Map.of("mapped", mapped, "holes", holes, "mappedNonZero", nonZero, "errnos", errnos);
    }
}
