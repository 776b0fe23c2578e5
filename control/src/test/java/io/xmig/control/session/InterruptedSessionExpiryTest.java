package io.xmig.control.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.protocol.ChannelRole;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.ErrorFrame;
import io.xmig.dataplane.protocol.Hello;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An interrupted post-copy whose source never comes back does not stay in the agent forever: after the agent's
 * interrupted-session expiry the session is dropped (ABANDONED), its fault pump thread ends, its domain keeps running
 * (the only running copy), and a source that reconnects late is told the guest runs here (UNEXPECTED_FRAME, never
 * UNKNOWN_SESSION, which would let that source resume its own copy). The memory of that ending is itself dropped
 * after the expiry again.
 */
@Timeout(120)
class InterruptedSessionExpiryTest {
    private static final long PAGES = 8192;
    private static final Duration EXPIRY = Duration.ofSeconds(2);
    private final XenHypervisor hv = XenHypervisor.open();
    private final GuestSimulator sim = hv.simulator().orElseThrow();

    @AfterEach
    void close() {
        hv.close();
    }

    @Test
    void anInterruptedPostcopyNobodyRecoversIsDroppedAndTheGuestStaysHere() throws Exception {
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        int source = sim.createDomain(PAGES, "sweep:rate=20k,ws=24M", 5);
        int destination = -1;
        try (MigrationAgent agent = new MigrationAgent(hv, 3, arrived::complete, EXPIRY).listen(new InetSocketAddress("127.0.0.1", 0));
             CuttingProxy proxy = new CuttingProxy(agent.address())) {
            CountDownLatch switched = new CountDownLatch(1);
            MigrationOptions o = new MigrationOptions(Policies.create("postcopy-only"), "postcopy-only", 2,
                    8L << 20, false, Duration.ofSeconds(10), Duration.ofMillis(500));   // 32 MiB at 8 MiB/s: 4 s of push
            MigrationSession session = new MigrationSession(hv, source, proxy.address(), o,
                    t -> new DirectVerifier(hv, source, () -> arrived.join().domid()),
                    line -> { if (line.startsWith("post-copy: guest resumed")) switched.countDown(); });
            CompletableFuture<MigrationOutcome> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return session.run();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(switched.await(20, TimeUnit.SECONDS)).as("the switch happened").isTrue();
            Thread.sleep(300);
            long cutAt = System.nanoTime();                       // the destination is interrupted after this
            proxy.cut(true);                                      // for good
            assertThat(run.get(30, TimeUnit.SECONDS).status()).isEqualTo(MigrationOutcome.Status.FAILED);
            DestinationSession ds = arrived.join();
            destination = ds.domid();
            assertThat(ds.state()).isEqualTo(DestinationSession.State.POSTCOPY_INTERRUPTED);
            assertThat(threadsNamed("xmig-fault-pump")).as("the interrupted session's fault pump").isEqualTo(1);

            assertThat(ds.outcome().get(30, TimeUnit.SECONDS)).isEqualTo(DestinationSession.State.ABANDONED);
            assertThat(System.nanoTime() - cutAt).as("not before the expiry").isGreaterThanOrEqualTo(EXPIRY.toNanos());
            assertThat(agent.sessionCount()).as("sessions left in the agent").isZero();
            assertThat(sim.counters(destination).state()).as("the guest stays at the destination")
                    .isEqualTo(SimCounters.State.RUNNING);
            assertThat(sim.counters(source).state()).as("and only there").isEqualTo(SimCounters.State.PAUSED);
            awaitNoThreadNamed("xmig-fault-pump");

            ErrorFrame answer = recoverHello(agent.address(), ds.id());
            assertThat(answer.code()).as(answer.message()).isEqualTo(ErrorCode.UNEXPECTED_FRAME);
            assertThat(answer.message()).contains("abandoned").contains("runs on this host");

            long end = System.nanoTime() + EXPIRY.multipliedBy(5).toNanos();
            while (agent.endedCount() > 0 && System.nanoTime() < end) Thread.sleep(50);
            assertThat(agent.endedCount()).as("endings remembered after twice the expiry").isZero();
        } finally {
            sim.destroy(source);
            if (destination >= 0) sim.destroy(destination);
        }
    }

    /** A CONTROL HELLO with RECOVER for {@code session}, as a late source sends it; the agent's answer. */
    private static ErrorFrame recoverHello(InetSocketAddress agent, java.util.UUID session) throws Exception {
        try (Socket s = new Socket(agent.getAddress(), agent.getPort())) {
            s.setSoTimeout(10_000);
            ByteBuf out = Unpooled.buffer();
            new Hello(ChannelRole.CONTROL, 0, session, PAGES, 4096, 2, Hello.CAP_RECOVER).encode(out);
            byte[] b = new byte[out.readableBytes()];
            out.readBytes(b).release();
            s.getOutputStream().write(b);
            DataInputStream in = new DataInputStream(s.getInputStream());
            int length = in.readInt();
            byte[] frame = new byte[length];
            in.readFully(frame);
            assertThat(frame[0]).as("frame type").isEqualTo((byte) 0x31);
            ByteBuf body = Unpooled.wrappedBuffer(frame, 4, length - 4);
            return ErrorFrame.decode(body);
        }
    }

    static long threadsNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name) && t.isAlive()).count();
    }

    private static void awaitNoThreadNamed(String name) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (threadsNamed(name) > 0 && System.nanoTime() < end) Thread.sleep(20);
        assertThat(threadsNamed(name)).as("threads named %s", name).isZero();
    }
}
