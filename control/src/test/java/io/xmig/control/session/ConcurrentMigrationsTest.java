package io.xmig.control.session;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.pagepath.TokenBucket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Eight migrations at once between two agents, four each way, all drawing from one bandwidth cap
 * ({@link MigrationOptions#sharedCap}): each completes with every page verified and together they stay under the
 * cap, and each gets its fair share within ±25 % (the senders reserve tokens in arrival order, TokenBucket#reserve; with
 * the earlier refuse-and-retry they raced and got 0.86-4.3 × their share, docs/RELIABILITY.md). The guests are alike, so under a fair cap they finish together and each one's rate over its
 * whole migration (bytes sent / total time) is the fair share; a migration favoured by the cap finishes early at a
 * higher rate, one starved finishes last at a lower one.
 */
@Timeout(300)
class ConcurrentMigrationsTest {
    static final int MIGRATIONS = 8;
    private static final long PAGES = 4096;                         // 16 MiB each, 128 MiB in all
    private static final long CAP = 48L << 20;                      // 48 MiB/s over all eight: about 2.7 s
    private static XenHypervisor hv;

    @BeforeAll
    static void open() {
        hv = XenHypervisor.open();
    }

    @AfterAll
    static void close() {
        hv.close();
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    @Test
    void eightMigrationsBothWaysUnderOneCapAllVerify() throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        Map<UUID, DestinationSession> arrived = new ConcurrentHashMap<>();
        TokenBucket cap = MigrationOptions.sharedCap(CAP);
        List<Integer> domains = new ArrayList<>();
        try (var threads = java.util.concurrent.Executors.newFixedThreadPool(MIGRATIONS);   // at once, whatever the CPUs
             MigrationAgent a = new MigrationAgent(hv, 4, s -> arrived.put(s.id(), s)).listen(new InetSocketAddress("127.0.0.1", 0));
             MigrationAgent b = new MigrationAgent(hv, 4, s -> arrived.put(s.id(), s)).listen(new InetSocketAddress("127.0.0.1", 0))) {
            List<MigrationSession> sessions = new ArrayList<>();
            List<CompletableFuture<MigrationOutcome>> runs = new ArrayList<>();
            for (int i = 0; i < MIGRATIONS; i++) {
                int source = sim.createDomain(PAGES, "sweep:rate=5k,ws=4M", 100 + i);
                domains.add(source);
                MigrationOptions o = new MigrationOptions(Policies.create("xen-default"), "xen-default", 2,
                        CAP / MIGRATIONS, true, Duration.ofSeconds(20), MigrationOptions.DEFAULT_RECONNECT, cap);
                MigrationSession[] self = new MigrationSession[1];
                MigrationSession s = new MigrationSession(hv, source, (i % 2 == 0 ? a : b).address(), o,
                        t -> new DirectVerifier(hv, source, () -> arrived.get(self[0].id()).domid()), line -> { });
                self[0] = s;
                sessions.add(s);
            }
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(MIGRATIONS);
            for (MigrationSession s : sessions) {
                runs.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();                    // all eight start together
                        return s.run();
                    } catch (java.util.concurrent.BrokenBarrierException e) {
                        throw new IllegalStateException(e);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, threads));
            }
            for (int i = 0; i < MIGRATIONS; i++) {
                MigrationOutcome out = runs.get(i).get(120, TimeUnit.SECONDS);
                assertThat(out.status()).as("migration %d: %s", i, out.error()).isEqualTo(MigrationOutcome.Status.COMPLETED);
                assertThat(out.verify().pagesChecked()).isEqualTo(PAGES);
                assertThat(out.verify().pagesDiffering()).as("pages differing in migration %d", i).isZero();
                DestinationSession ds = arrived.get(sessions.get(i).id());
                assertThat(ds.outcome().get(10, TimeUnit.SECONDS)).isEqualTo(DestinationSession.State.RESUMED);
                domains.add(ds.domid());
                assertThat(sim.counters(ds.domid()).state()).isEqualTo(SimCounters.State.RUNNING);
            }
            double fair = (double) CAP / MIGRATIONS;
            double[] share = new double[MIGRATIONS];
            for (int i = 0; i < MIGRATIONS; i++) {
                MigrationOutcome out = runs.get(i).join();
                share[i] = out.bytesSent() / (out.totalNanos() / 1e9) / fair;
            }
            System.out.printf("concurrent migrations: %d at once under %d MiB/s, each's rate / fair share (%.1f MiB/s): %s%n",
                    MIGRATIONS, CAP >> 20, fair / (1 << 20), java.util.Arrays.toString(
                            java.util.Arrays.stream(share).map(x -> Math.round(x * 1000) / 1000.0).toArray()));
            long bytes = 0, nanos = 0;
            for (CompletableFuture<MigrationOutcome> r : runs) {
                bytes += r.join().bytesSent();
                nanos = Math.max(nanos, r.join().totalNanos());
            }
            assertThat(bytes / (nanos / 1e9)).as("bytes/s of all eight together").isLessThanOrEqualTo(CAP * 1.1);
            for (int i = 0; i < MIGRATIONS; i++) {
                assertThat(share[i]).as("migration %d's rate relative to the fair share", i).isBetween(0.75, 1.25);
            }
        } finally {
            domains.forEach(sim::destroy);
        }
    }
}
