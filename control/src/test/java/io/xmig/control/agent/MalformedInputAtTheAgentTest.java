package io.xmig.control.agent;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.xmig.control.policy.Policies;
import io.xmig.control.session.DirectVerifier;
import io.xmig.control.session.MigrationOptions;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.control.session.MigrationSession;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.protocol.ChannelRole;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.Hello;
import io.xmig.dataplane.protocol.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A destination agent fed hostile bytes over a real socket: each defect is answered with an ERROR frame naming it,
 * the connection is closed, any half-made copy of a guest is destroyed, and the agent goes on serving real migrations.
 */
@Timeout(120)
class MalformedInputAtTheAgentTest {
    @org.junit.jupiter.api.AfterAll
    static void noBufferLeaked() {
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    private static final long GUEST_PAGES = 1024;
    private final XenHypervisor hv = XenHypervisor.open();
    private final GuestSimulator sim = hv.simulator().orElseThrow();
    private final AtomicInteger lastDestination = new AtomicInteger(-1);
    private MigrationAgent agent;

    @BeforeEach
    void start() throws InterruptedException {
        agent = new MigrationAgent(hv, 2, s -> lastDestination.set(s.domid())).listen(new InetSocketAddress("127.0.0.1", 0));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            // the agent still serves a real migration after the abuse
            int source = sim.createDomain(GUEST_PAGES, "sweep:rate=5k", 1);
            try {
                MigrationOptions o = new MigrationOptions(Policies.create("xen-default"), "xen-default", 1, 0, true, Duration.ofSeconds(10));
                MigrationOutcome out = new MigrationSession(hv, source, agent.address(), o,
                        t -> new DirectVerifier(hv, source, lastDestination::get), s -> { }).run();
                assertThat(out.status()).as(String.valueOf(out.error())).isEqualTo(MigrationOutcome.Status.COMPLETED);
                assertThat(out.verify().pagesDiffering()).isZero();
                sim.destroy(lastDestination.get());
            } finally {
                sim.destroy(source);
            }
            assertThat(hv.domains()).as("no domain left behind").isEmpty();
        } finally {
            agent.close();
            hv.close();
        }
    }

    private record Reply(FrameType type, ErrorCode code, String message) {}

    private Socket connect() throws IOException {
        Socket s = new Socket(agent.address().getAddress(), agent.address().getPort());
        s.setSoTimeout(10_000);
        return s;
    }

    private static void send(Socket s, ByteBuf frame) throws IOException {
        try {
            byte[] b = new byte[frame.readableBytes()];
            frame.readBytes(b);
            OutputStream out = s.getOutputStream();
            out.write(b);
            out.flush();
        } finally {
            frame.release();
        }
    }

    private static Reply read(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int length = in.readInt();
        byte[] body = new byte[length];
        in.readFully(body);
        ByteBuf b = Unpooled.wrappedBuffer(body);
        FrameType type = FrameType.of(b.readUnsignedByte());
        b.skipBytes(3);
        if (type != FrameType.ERROR) return new Reply(type, null, null);
        ErrorCode code = ErrorCode.of(b.readUnsignedShort());
        int n = b.readUnsignedShort();
        return new Reply(type, code, b.toString(b.readerIndex(), n, StandardCharsets.UTF_8));
    }

    private static void assertClosed(Socket s) throws IOException {
        try {
            assertThat(s.getInputStream().read()).as("connection closed after the error").isEqualTo(-1);
        } catch (java.net.SocketException | EOFException e) {
            // reset by the peer: closed as well
        }
    }

    private static ByteBuf hello(ChannelRole role, int index, UUID id, int magic, int version) {
        return hello(role, index, id, magic, version, 0);
    }

    private static ByteBuf hello(ChannelRole role, int index, UUID id, int magic, int version, int capabilities) {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(4 + 40).writeByte(FrameType.HELLO.code()).writeByte(0).writeShort(0);
        b.writeInt(magic).writeShort(version).writeByte(role.code()).writeByte(index);
        b.writeLong(id.getMostSignificantBits()).writeLong(id.getLeastSignificantBits());
        b.writeLong(GUEST_PAGES).writeInt(4096).writeShort(1).writeShort(capabilities);
        return b;
    }

    /** A PAGES frame with one data run of {@code pages} declared pages but {@code dataPages} pages of bytes. */
    private static ByteBuf pages(long firstPfn, int pages, int dataPages) {
        ByteBuf b = Unpooled.buffer();
        int body = 4 + Protocol.PAGES_FIXED_BYTES + Protocol.RUN_HEADER_BYTES + dataPages * 4096;
        b.writeInt(body).writeByte(FrameType.PAGES.code()).writeByte(0).writeShort(0);
        b.writeInt(0).writeShort(1).writeShort(0);
        b.writeLong(firstPfn).writeInt(pages).writeInt(0);
        b.writeZero(dataPages * 4096);
        return b;
    }

    /** Opens a session: control + one bulk channel, both acknowledged. Returns the bulk socket. */
    private Socket openSession(Socket control) throws IOException {
        return openSession(control, 0);
    }

    /** As above, the bulk HELLO declaring {@code bulkCapabilities}. */
    private Socket openSession(Socket control, int bulkCapabilities) throws IOException {
        UUID id = UUID.randomUUID();
        send(control, hello(ChannelRole.CONTROL, 0, id, Protocol.MAGIC, Protocol.VERSION));
        assertThat(read(control).type()).isEqualTo(FrameType.HELLO_ACK);
        Socket bulk = connect();
        send(bulk, hello(ChannelRole.BULK, 0, id, Protocol.MAGIC, Protocol.VERSION, bulkCapabilities));
        assertThat(read(bulk).type()).isEqualTo(FrameType.HELLO_ACK);
        assertThat(hv.domains()).as("the destination domain exists").hasSize(1);
        return bulk;
    }

    private void awaitNoDomains() throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!hv.domains().isEmpty() && System.nanoTime() < end) Thread.sleep(10);
        assertThat(hv.domains()).as("the half-received guest was discarded").isEmpty();
    }

    @Test
    void aWrongMagicIsRefused() throws Exception {
        try (Socket s = connect()) {
            send(s, hello(ChannelRole.CONTROL, 0, UUID.randomUUID(), 0x12345678, Protocol.VERSION));
            Reply r = read(s);
            assertThat(r.code()).isEqualTo(ErrorCode.BAD_MAGIC);
            assertThat(r.message()).containsIgnoringCase("magic");
            assertClosed(s);
        }
    }

    @Test
    void anotherVersionIsRefusedNamingBoth() throws Exception {
        try (Socket s = connect()) {
            send(s, hello(ChannelRole.CONTROL, 0, UUID.randomUUID(), Protocol.MAGIC, 2));
            Reply r = read(s);
            assertThat(r.code()).isEqualTo(ErrorCode.VERSION_MISMATCH);
            assertThat(r.message()).contains("2").contains(String.valueOf(Protocol.VERSION));
            assertClosed(s);
        }
    }

    @Test
    void aFrameBeforeTheHandshakeIsRefused() throws Exception {
        try (Socket s = connect()) {
            send(s, pages(0, 1, 1));
            Reply r = read(s);
            assertThat(r.code()).isIn(ErrorCode.UNEXPECTED_FRAME, ErrorCode.FRAME_TOO_LONG);
            assertThat(r.message()).containsAnyOf("HELLO", "handshake");
            assertClosed(s);
        }
    }

    @Test
    void aDuplicateHandshakeIsRefusedAndTheCopyDiscarded() throws Exception {
        try (Socket s = connect()) {
            UUID id = UUID.randomUUID();
            send(s, hello(ChannelRole.CONTROL, 0, id, Protocol.MAGIC, Protocol.VERSION));
            assertThat(read(s).type()).isEqualTo(FrameType.HELLO_ACK);
            send(s, hello(ChannelRole.CONTROL, 0, id, Protocol.MAGIC, Protocol.VERSION));
            Reply r = read(s);
            assertThat(r.code()).isEqualTo(ErrorCode.DUPLICATE_HANDSHAKE);
            assertClosed(s);
        }
        awaitNoDomains();
    }

    @Test
    void aPageBeyondTheGuestIsRefusedBeforeAnythingIsInstalled() throws Exception {
        try (Socket control = connect(); Socket bulk = openSession(control)) {
            send(bulk, pages(GUEST_PAGES, 1, 1));
            Reply r = read(bulk);
            assertThat(r.code()).isEqualTo(ErrorCode.PAGE_OUT_OF_RANGE);
            assertThat(r.message()).contains(String.valueOf(GUEST_PAGES));
            assertClosed(bulk);
        }
        awaitNoDomains();
    }

    /** A PAGES_LZ4 frame claiming one data page (raw_length 4120) with a checksum of 0 and a block of junk. */
    private static ByteBuf junkLz4() {
        ByteBuf b = Unpooled.buffer();
        b.writeInt(4 + Protocol.PAGES_LZ4_FIXED_BYTES + 64).writeByte(FrameType.PAGES_LZ4.code()).writeByte(0).writeShort(0);
        b.writeInt(Protocol.PAGES_FIXED_BYTES + Protocol.RUN_HEADER_BYTES + 4096).writeInt(0);
        for (int i = 0; i < 64; i++) b.writeByte(0xF0 | (i & 0x0F));
        return b;
    }

    @Test
    void aCompressedFrameOnABulkChannelThatDidNotDeclareLz4IsRefused() throws Exception {
        try (Socket control = connect(); Socket bulk = openSession(control)) {
            send(bulk, junkLz4());
            Reply r = read(bulk);
            assertThat(r.code()).isEqualTo(ErrorCode.UNEXPECTED_FRAME);
            assertThat(r.message()).contains("PAGES_LZ4").contains("LZ4");
            assertClosed(bulk);
        }
        awaitNoDomains();
    }

    @Test
    void aCorruptCompressedFrameIsRefusedAndNothingIsInstalled() throws Exception {
        try (Socket control = connect(); Socket bulk = openSession(control, io.xmig.dataplane.protocol.Hello.CAP_LZ4)) {
            send(bulk, junkLz4());
            Reply r = read(bulk);
            assertThat(r.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertThat(r.message()).contains("PAGES_LZ4");
            assertClosed(bulk);
        }
        awaitNoDomains();
    }

    @Test
    void aLengthThatDisagreesWithTheFrameIsRefused() throws Exception {
        try (Socket control = connect(); Socket bulk = openSession(control)) {
            send(bulk, pages(0, 2, 1));                        // two pages declared, one page of bytes
            Reply r = read(bulk);
            assertThat(r.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
            assertClosed(bulk);
        }
        awaitNoDomains();
    }

    @Test
    void aFaultConnectionForAnotherSessionIsRefused() throws Exception {
        try (Socket control = connect(); Socket bulk = openSession(control); Socket fault = connect()) {
            send(fault, hello(ChannelRole.FAULT, 0, UUID.randomUUID(), Protocol.MAGIC, Protocol.VERSION));
            Reply r = read(fault);
            assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_SESSION);
            assertThat(r.message()).contains("no session");
            assertClosed(fault);
            assertThat(hv.domains()).as("the real session is untouched").hasSize(1);
        }
        awaitNoDomains();
    }

    @Test
    void aTruncatedFrameEndsTheSessionAndDiscardsTheCopy() throws Exception {
        try (Socket control = connect(); Socket bulk = openSession(control)) {
            ByteBuf whole = pages(0, 2, 2);
            send(bulk, whole.retainedSlice(0, whole.readableBytes() / 2));
            whole.release();
            bulk.shutdownOutput();                             // the peer stops mid-frame
            assertClosed(bulk);
        }
        awaitNoDomains();
    }
}
