package io.xmig.control.session;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent under a flood of bogus connections (random bytes, silent connections left open, connect-and-close, HELLOs
 * for sessions that do not exist) keeps serving a real migration, which completes verified; and once the flood stops
 * the agent has closed every bogus connection (the silent ones by its handshake timeout), so the process is back to
 * the file descriptors it had before (give or take {@link #FD_SLACK}, against thousands of connections).
 */
@Timeout(120)
class ConnectionFloodTest {
    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);
    /** Descriptors the JVM may open meanwhile on its own (jars of classes first loaded during the migration). */
    private static final int FD_SLACK = 8;

    @Test
    void aFloodedAgentStillMigratesAndDropsTheBogusConnections() throws Exception {
        XenHypervisor hv = XenHypervisor.open();
        GuestSimulator sim = hv.simulator().orElseThrow();
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        java.util.Queue<Socket> bogus = new java.util.concurrent.ConcurrentLinkedQueue<>();
        AtomicBoolean flooding = new AtomicBoolean(true);
        AtomicInteger connections = new AtomicInteger();
        int source = sim.createDomain(8192, "hotcold:rate=20k,ws=24M,hot=2M,hot_share=0.8", 4);
        int destination = -1;
        try (MigrationAgent agent = new MigrationAgent(hv, 3, arrived::complete).handshakeTimeout(HANDSHAKE_TIMEOUT)
                .listen(new InetSocketAddress("127.0.0.1", 0))) {
            long fdsBefore = fds();
            Thread[] flooders = new Thread[4];
            for (int t = 0; t < flooders.length; t++) {
                Random random = new Random(t);
                flooders[t] = Thread.ofPlatform().name("flood-" + t).start(() -> {
                    while (flooding.get()) {
                        try {
                            flood(agent.address(), random, bogus);
                            connections.incrementAndGet();
                            Thread.sleep(2);                     // about 2,000 connections/s from four threads
                        } catch (InterruptedException e) {
                            return;
                        } catch (IOException ignored) {
                            // the agent hung up on us: that is the point
                        }
                    }
                });
            }
            Thread.sleep(200);                                   // the flood is on before the migration starts
            MigrationOptions o = new MigrationOptions(Policies.create("xen-default"), "xen-default", 2, 64L << 20, true,
                    Duration.ofSeconds(10));
            MigrationOutcome out = new MigrationSession(hv, source, agent.address(), o,
                    t -> new DirectVerifier(hv, source, () -> arrived.join().domid()), s -> { }).run();
            flooding.set(false);
            for (Thread t : flooders) t.join();
            System.out.printf("connection flood: %d bogus connections during the migration: %s, %d pages verified, %d differing%n",
                    connections.get(), out.status(), out.verify() == null ? 0 : out.verify().pagesChecked(),
                    out.verify() == null ? 0 : out.verify().pagesDiffering());
            assertThat(out.status()).as(String.valueOf(out.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(out.verify().pagesDiffering()).isZero();
            assertThat(out.verify().pagesChecked()).isEqualTo(8192);
            assertThat(connections.get()).as("bogus connections made").isGreaterThan(500);
            destination = arrived.join().domid();
            assertThat(sim.counters(destination).state()).isEqualTo(SimCounters.State.RUNNING);
            sim.destroy(destination);                            // its memory's descriptors were not there before
            destination = -1;

            // the agent closes what it has not closed yet (silent ones: handshake timeout); then so do we
            java.util.Set<Socket> closed = new java.util.HashSet<>();
            long end = System.nanoTime() + HANDSHAKE_TIMEOUT.multipliedBy(5).toNanos();
            while (System.nanoTime() < end && closed.size() < bogus.size()) {
                for (Socket s : bogus) if (!closed.contains(s) && closedByPeer(s)) closed.add(s);
                Thread.sleep(50);
            }
            assertThat(bogus.size() - closed.size()).as("bogus connections the agent still holds").isZero();
            for (Socket s : bogus) s.close();
            end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < end && fds() > fdsBefore + FD_SLACK) Thread.sleep(50);
            assertThat(fds()).as("file descriptors, after thousands of connections").isLessThanOrEqualTo(fdsBefore + FD_SLACK);
            assertThat(agent.sessionCount()).as("sessions left").isZero();
        } finally {
            flooding.set(false);
            for (Socket s : bogus) s.close();
            sim.destroy(source);
            if (destination >= 0) sim.destroy(destination);
            hv.close();
        }
    }

    /** One bogus connection; silent ones (and HELLOs the agent refuses) are left open, for the agent to close. */
    private static void flood(InetSocketAddress agent, Random random, java.util.Queue<Socket> keep) throws IOException {
        Socket s = new Socket(agent.getAddress(), agent.getPort());
        keep.add(s);                                            // closed by us at the end, whatever happens
        OutputStream out = s.getOutputStream();
        switch (random.nextInt(4)) {
            case 0 -> {                                         // noise
                byte[] b = new byte[1 + random.nextInt(512)];
                random.nextBytes(b);
                out.write(b);
            }
            case 1 -> { }                                       // says nothing
            case 2 -> {                                         // a HELLO for a session that does not exist
                io.netty.buffer.ByteBuf hello = io.netty.buffer.Unpooled.buffer();
                new io.xmig.dataplane.protocol.Hello(io.xmig.dataplane.protocol.ChannelRole.BULK, 0,
                        new java.util.UUID(random.nextLong(), random.nextLong()), 1024, 4096, 1, 0).encode(hello);
                byte[] b = new byte[hello.readableBytes()];
                hello.readBytes(b).release();
                out.write(b);
            }
            default -> {                                        // connect and go
                keep.remove(s);
                s.close();
            }
        }
    }

    /** Whether the agent has closed its end (a read sees the end of the stream, or a reset). */
    private static boolean closedByPeer(Socket s) {
        try {
            s.setSoTimeout(1);
            var in = s.getInputStream();
            while (true) {
                int b = in.read();                              // an ERROR frame may come first
                if (b < 0) return true;
            }
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    private static long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }
}
