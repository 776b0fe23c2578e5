package io.xmig.control.session;

import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Source and destination in two processes over loopback TCP: the migration completes and is verified with per-page
 * hashes; a destination killed mid-migration leaves the guest running on the source, with log-dirty off.
 */
@Timeout(180)
class TwoProcessMigrationTest {
    @org.junit.jupiter.api.AfterAll
    static void noBufferLeaked() {
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    private final XenHypervisor hv = XenHypervisor.open();
    private final GuestSimulator sim = hv.simulator().orElseThrow();

    @AfterEach
    void close() {
        hv.close();
    }

    @Test
    void aGuestMigratesToAnAgentInAnotherProcess() throws Exception {
        try (AgentProcess agent = new AgentProcess()) {
            int source = sim.createDomain(16384, "hotcold:rate=30k,ws=32M,hot=2M,hot_share=0.8", 5);
            try {
                MigrationOptions o = new MigrationOptions(Policies.create("downtime-limit"), "downtime-limit", 2,
                        128L << 20, true, Duration.ofSeconds(20));
                MigrationOutcome out = new MigrationSession(hv, source, agent.address(), o,
                        t -> new HashVerifier(hv.memory(source), t, o.peerTimeout()), s -> { }).run();
                assertThat(out.status()).as(String.valueOf(out.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
                assertThat(out.verifyMethod()).isEqualTo("xxh64");
                assertThat(out.verify().pagesChecked()).isEqualTo(16384);
                assertThat(out.verify().pagesDiffering()).isZero();
                assertThat(agent.awaitLine("guest resumed here", Duration.ofSeconds(20))).isNotNull();
                assertThat(agent.waitForExit(Duration.ofSeconds(20))).isZero();
                assertThat(sim.counters(source).state()).isEqualTo(SimCounters.State.PAUSED);
            } finally {
                sim.destroy(source);
            }
        }
    }

    @Test
    void aDestinationThatDiesMidMigrationLeavesTheGuestRunningAtTheSource() throws Exception {
        try (AgentProcess agent = new AgentProcess()) {
            int source = sim.createDomain(32768, "sweep:rate=10k,ws=32M", 6);  // 128 MiB at 16 MiB/s: 8 s of round 0
            try {
                MigrationOptions o = new MigrationOptions(Policies.create("xen-default"), "xen-default", 2,
                        16L << 20, true, Duration.ofSeconds(10));
                CompletableFuture<MigrationOutcome> run = CompletableFuture.supplyAsync(() -> {
                    try {
                        return new MigrationSession(hv, source, agent.address(), o,
                                t -> new HashVerifier(hv.memory(source), t, o.peerTimeout()), s -> { }).run();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Thread.sleep(1500);
                assertThat(run).as("still in round 0 when the destination dies").isNotDone();
                agent.kill();
                MigrationOutcome out = run.get();
                assertThat(out.status()).isEqualTo(MigrationOutcome.Status.FAILED);
                assertThat(out.error()).isNotBlank();

                SimCounters c = sim.counters(source);
                assertThat(c.state()).as("the source guest was never paused, or was unpaused").isEqualTo(SimCounters.State.RUNNING);
                Thread.sleep(50);
                assertThat(sim.counters(source).writes()).as("and keeps writing").isGreaterThan(c.writes());
                DirtyLog log = hv.dirtyLog(source);
                log.enable();                                   // EINVAL if the failed session had left it on
                log.disable();
            } finally {
                sim.destroy(source);
            }
        }
    }
}
