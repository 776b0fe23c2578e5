package io.xmig.dataplane.hypervisor;

import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Test fixture: the simulator as a {@link Hypervisor}, and every domain a test creates, destroyed on close.
 * Not thread-safe; one per test.
 */
final class SimulatedGuests implements AutoCloseable {
    final XenHypervisor hv = XenHypervisor.open();
    final GuestSimulator sim = hv.simulator().orElseThrow();
    private final List<Integer> domains = new ArrayList<>();

    int create(long pages, String workload, long seed, GuestSimulator.CreateFlag... flags) {
        int d = sim.createDomain(pages, workload, seed, flags);
        domains.add(d);
        return d;
    }

    int destination(long pages, GuestSimulator.CreateFlag... flags) {
        int d = sim.createDestination(pages, flags);
        domains.add(d);
        return d;
    }

    /** Polls the domain's counters until {@code done} holds; fails after {@code timeout}. */
    SimCounters awaitCounters(int domid, Duration timeout, Predicate<SimCounters> done) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        SimCounters c;
        while (!done.test(c = sim.counters(domid))) {
            assertThat(System.nanoTime()).as("waiting for domain %d: %s", domid, c).isLessThan(end);
            Thread.sleep(5);
        }
        return c;
    }

    /** Index of the first page whose content differs between two domains, or -1 (both must be fully present). */
    long firstDifferentPage(int a, int b) {
        GuestMemory ma = hv.memory(a), mb = hv.memory(b);
        assertThat(ma.pages()).isEqualTo(mb.pages());
        int chunk = 1024;
        for (long p = 0; p < ma.pages(); p += chunk) {
            int n = (int) Math.min(chunk, ma.pages() - p);
            try (PageMapping x = ma.mapRun(p, n, false); PageMapping y = mb.mapRun(p, n, false)) {
                long m = x.segment().mismatch(y.segment());
                if (m >= 0) return p + m / GuestMemory.PAGE_SIZE;
            }
        }
        return -1;
    }

    /** Number of pages whose content differs between the domain and {@code copy} (pages * 4096 bytes). */
    long differingPages(int domid, MemorySegment copy) {
        GuestMemory m = hv.memory(domid);
        long differing = 0;
        for (long p = 0; p < m.pages(); p += 1024) {
            int n = (int) Math.min(1024, m.pages() - p);
            try (PageMapping x = m.mapRun(p, n, false)) {
                for (int i = 0; i < n; i++) {
                    long off = (p + i) * GuestMemory.PAGE_SIZE;
                    if (x.page(i).mismatch(copy.asSlice(off, GuestMemory.PAGE_SIZE)) >= 0) differing++;
                }
            }
        }
        return differing;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (int d : domains) {
            try {
                sim.destroy(d);
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        hv.close();
        if (first != null) throw first;
    }
}
