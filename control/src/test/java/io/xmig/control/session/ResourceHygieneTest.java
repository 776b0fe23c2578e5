package io.xmig.control.session;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * 50 migrations into one agent, under every policy in turn (pre-copy, post-copy, the hybrids), each verified page by
 * page: afterwards the process holds no more file descriptors or threads than after a warm-up of 15, and no more
 * off-heap memory (JDK direct buffers, Netty's allocator) than the warm-up's peak plus one pool chunk
 * ({@link #POOL_SLACK}); no
 * session is left in the agent, no domain in the simulator, and Netty's leak detector (PARANOID) reports no buffer.
 */
@Timeout(300)
class ResourceHygieneTest {
    static final int MIGRATIONS = 50;
    /** One round of every policy with every channel count (5 x 3): the allocator's pools reach their working size. */
    private static final int WARM_UP = 15;
    /** Pools may hold one more chunk (Netty's adaptive allocator grows by chunks of up to 8 MiB); a leak of 50
     *  migrations' buffers would be far more (each migration moves 8 MiB through 1 MiB frames). */
    static final long POOL_SLACK = 8L << 20;
    private static final long PAGES = 2048;                   // 8 MiB
    private static final List<String> POLICIES = List.of("xen-default", "postcopy-only", "downtime-limit",
            "postcopy-after-first-pass", "hybrid-threshold");

    /** What the process holds, read between migrations. */
    record Resources(long fds, int threads, long directBytes, long nettyDirectBytes) {
        static Resources now() throws IOException {
            long fds;
            try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
                fds = s.count();
            }
            long direct = 0;
            for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) direct += b.getMemoryUsed();
            long netty = ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
            return new Resources(fds, ManagementFactory.getThreadMXBean().getThreadCount(), direct, netty);
        }

        /** These fds and threads, and the larger off-heap figures of the two. */
        Resources withOffHeapAtLeast(Resources o) {
            return o == null ? this : new Resources(fds, threads, Math.max(directBytes, o.directBytes),
                    Math.max(nettyDirectBytes, o.nettyDirectBytes));
        }
    }

    @Test
    void fiftyMigrationsInOneAgentLeaveNothingBehind() throws Exception {
        XenHypervisor hv = XenHypervisor.open();
        GuestSimulator sim = hv.simulator().orElseThrow();
        LinkedBlockingQueue<DestinationSession> arrivals = new LinkedBlockingQueue<>();
        Resources before = null, warmUpPeak = null;
        long pagesVerified = 0;
        try (MigrationAgent agent = new MigrationAgent(hv, 3, arrivals::add).listen(new InetSocketAddress("127.0.0.1", 0))) {
            for (int i = 0; i < WARM_UP + MIGRATIONS; i++) {
                if (i == WARM_UP) before = settled(null).withOffHeapAtLeast(warmUpPeak);
                if (i < WARM_UP) warmUpPeak = warmUpPeak == null ? Resources.now() : warmUpPeak.withOffHeapAtLeast(Resources.now());
                String policy = POLICIES.get(i % POLICIES.size());
                int source = sim.createDomain(PAGES, "sweep:rate=20k,ws=6M", i);
                int destination = -1;
                try {
                    MigrationOptions o = new MigrationOptions(Policies.create(policy), policy, 1 + i % 3, 0, true,
                            Duration.ofSeconds(10));
                    DestinationSession[] arrived = new DestinationSession[1];
                    MigrationOutcome out = new MigrationSession(hv, source, agent.address(), o,
                            t -> new DirectVerifier(hv, source, () -> (arrived[0] = take(arrivals)).domid()), s -> { }).run();
                    assertThat(out.status()).as("migration %d (%s): %s", i, policy, out.error())
                            .isEqualTo(MigrationOutcome.Status.COMPLETED);
                    assertThat(out.verify().pagesDiffering()).isZero();
                    pagesVerified += out.verify().pagesChecked();
                    DestinationSession ds = arrived[0] != null ? arrived[0] : take(arrivals);
                    assertThat(ds.outcome().get(10, TimeUnit.SECONDS)).isEqualTo(DestinationSession.State.RESUMED);
                    destination = ds.domid();
                } finally {
                    sim.destroy(source);
                    if (destination >= 0) sim.destroy(destination);
                }
            }
            Resources after = settled(before);
            System.out.printf("resource hygiene: %d migrations, %d pages verified; before %s, after %s%n",
                    MIGRATIONS, pagesVerified, before, after);
            assertThat(after.fds()).as("file descriptors").isLessThanOrEqualTo(before.fds());
            assertThat(after.threads()).as("threads").isLessThanOrEqualTo(before.threads());
            assertThat(after.directBytes()).as("direct buffer bytes").isLessThanOrEqualTo(before.directBytes() + POOL_SLACK);
            assertThat(after.nettyDirectBytes()).as("Netty direct bytes").isLessThanOrEqualTo(before.nettyDirectBytes() + POOL_SLACK);
            assertThat(agent.sessionCount()).as("sessions left in the agent").isZero();
            assertThat(hv.domains()).as("domains left").isEmpty();
        } finally {
            hv.close();
        }
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    private static DestinationSession take(LinkedBlockingQueue<DestinationSession> q) {
        try {
            DestinationSession s = q.poll(10, TimeUnit.SECONDS);
            if (s == null) throw new IllegalStateException("no session arrived at the agent");
            return s;
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Resources once event loops that are shutting down have ended and the collector has freed what is garbage:
     *  waits (10 s at most) until no longer above {@code ceiling}. */
    private static Resources settled(Resources ceiling) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Resources r = Resources.now();
        while (ceiling != null && System.nanoTime() < end && (r.fds() > ceiling.fds() || r.threads() > ceiling.threads()
                || r.directBytes() > ceiling.directBytes() + POOL_SLACK
                || r.nettyDirectBytes() > ceiling.nettyDirectBytes() + POOL_SLACK)) {
            System.gc();
            Thread.sleep(100);
            r = Resources.now();
        }
        if (ceiling == null) {
            System.gc();
            Thread.sleep(500);                  // the warm-up's event loops finish shutting down
            r = Resources.now();
        }
        return r;
    }
}
