package io.xmig.dataplane.hypervisor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vCPU context carries the workload's position: a guest stopped mid-run, whose memory and context move to another
 * domain, goes on writing exactly what an uninterrupted run with the same seed writes.
 */
@Timeout(120)
class VcpuContextTest {
    private final SimulatedGuests guests = new SimulatedGuests();

    @AfterEach
    void destroy() {
        guests.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "random:rate=100k,ws=2M,vcpus=2,steps=30000",
            "sweep:rate=100k,ws=1M,fill=4096,steps=20000",
            "hotcold:rate=100k,ws=2M,hot=256K,hot_share=0.8,vcpus=3,steps=15000",
            "kv:ws=2M,rps=50k,put=0.5,vcpus=2,steps=15000"})
    void aGuestMovedMidRunContinuesWhereItStopped(String workload) throws Exception {
        long pages = 1024;
        int home = guests.create(pages, workload, 1234);
        int moving = guests.create(pages, workload, 1234);
        guests.awaitCounters(moving, Duration.ofSeconds(30), c -> c.steps() > 2000);
        guests.hv.pause(moving);
        SimCounters atPause = guests.sim.counters(moving);
        SimCounters homeDone = guests.awaitCounters(home, Duration.ofSeconds(30), c -> c.state() == SimCounters.State.HALTED);
        assertThat(atPause.steps()).as("stopped mid-run").isLessThan(homeDone.steps() / 2);

        int dst = guests.destination(pages);
        GuestMemory from = guests.hv.memory(moving), to = guests.hv.memory(dst);
        for (long p = 0; p < pages; p += 256) {
            try (PageMapping m = from.mapRun(p, 256, false)) {
                to.install(p, 256, m.segment(), InstallMode.OVERWRITE);
            }
        }
        guests.hv.restoreVcpuContext(dst, guests.hv.saveVcpuContext(moving));
        guests.hv.unpause(dst);
        SimCounters dstDone = guests.awaitCounters(dst, Duration.ofSeconds(30), c -> c.state() == SimCounters.State.HALTED);

        assertThat(dstDone.steps()).isEqualTo(homeDone.steps());
        assertThat(dstDone.writes()).isEqualTo(homeDone.writes());
        assertThat(dstDone.readSum()).isEqualTo(homeDone.readSum());
        assertThat(dstDone.runNs()).as("guest time carried over").isGreaterThanOrEqualTo(atPause.runNs());
        assertThat(guests.firstDifferentPage(home, dst)).as("first page that differs from the uninterrupted run").isEqualTo(-1);
    }
}
