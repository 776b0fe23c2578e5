package io.xmig.dataplane.hypervisor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Domains are created from many threads at once (the trace generator, concurrent migrations): every spec is parsed on
 * its own. A regression test for a shared strtok state that made parallel creations read each other's parameters.
 */
@Timeout(120)
class ConcurrentCreateTest {
    private final XenHypervisor hv = XenHypervisor.open();
    private final GuestSimulator sim = hv.simulator().orElseThrow();

    @AfterEach
    void close() {
        hv.close();
    }

    @Test
    void specsParsedOnManyThreadsAtOnceAreEachReadWhole() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> created = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {                      // many short creations: the parses overlap
                int vcpus = 1 + i % 3;
                String spec = "phased:rate=1k,ws=32K,quiet=10ms,burst=10ms,quiet_rate=100,seed=" + i + ",zero=4K,vcpus="
                        + vcpus + ",steps=5";
                created.add(pool.submit(() -> {
                    int d = sim.createDomain(16, spec, 1, GuestSimulator.CreateFlag.PAUSED);
                    try {
                        assertThat(sim.counters(d).vcpus()).as(spec).isEqualTo(vcpus);
                    } finally {
                        sim.destroy(d);
                    }
                    return d;
                }));
            }
            for (Future<Integer> f : created) assertThat(f.get()).isPositive();
        } finally {
            pool.shutdownNow();
        }
        assertThat(hv.domains()).isEmpty();
    }
}
