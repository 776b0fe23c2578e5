package io.xmig.control.agent;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.protocol.Abort;
import io.xmig.dataplane.protocol.BitmapChunk;
import io.xmig.dataplane.protocol.PostcopyDone;
import io.xmig.dataplane.protocol.PostcopyStart;
import io.xmig.dataplane.protocol.ChannelRole;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.Frame;
import io.xmig.dataplane.protocol.FrameDecoder;
import io.xmig.dataplane.protocol.Hello;
import io.xmig.dataplane.protocol.HelloAck;
import io.xmig.dataplane.protocol.PagesFrameReader;
import io.xmig.dataplane.protocol.Protocol;
import io.xmig.dataplane.protocol.ProtocolErrorHandler;
import io.xmig.dataplane.protocol.ProtocolException;
import io.xmig.dataplane.protocol.RoundEnd;
import io.xmig.dataplane.protocol.VcpuContext;
import io.xmig.dataplane.protocol.VerifyRequest;
import io.xmig.dataplane.transport.Transports;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The destination agent: listens for migrations, and for each one creates a {@link DestinationSession} when its
 * CONTROL channel says HELLO, attaches its BULK channels, and routes every later frame to it. A protocol error on
 * any channel answers ERROR, closes that channel and discards the session's copy of the guest.
 *
 * <p>An interrupted post-copy (POSTCOPY_INTERRUPTED) waits for its source to reconnect for at most the
 * interrupted-session expiry ({@link #DEFAULT_INTERRUPTED_EXPIRY} unless given); then it is dropped from the table
 * (ABANDONED: its fault pump thread and buffers freed, its domain kept running). How each session ended is
 * remembered for the same time again, so a source reconnecting late still learns that the guest runs here and keeps
 * its own copy paused; choose the expiry longer than any source's {@code --reconnect-timeout}.
 *
 * <p>Owns its event loops and the server channel ({@link #close()}); sessions are reached from the event-loop
 * threads of their channels, the expiry sweep runs on the acceptor's event loop.
 */
public final class MigrationAgent implements AutoCloseable {
    private final Hypervisor hv;
    private final EventLoopGroup boss = Transports.eventLoops(1);
    private final EventLoopGroup workers;
    private final Map<UUID, DestinationSession> sessions = new ConcurrentHashMap<>();
    /** How ended sessions ended, so that a source asking to recover one learns whether the guest runs here. */
    private final Map<UUID, Ended> ended = new ConcurrentHashMap<>();
    private final Consumer<DestinationSession> onSession;
    private final long expiryNanos;
    private Channel server;

    /** How long a connection may take to say HELLO before the agent closes it, unless it is given another. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    private volatile long handshakeTimeoutNanos = DEFAULT_HANDSHAKE_TIMEOUT.toNanos();

    /** How long an interrupted post-copy waits for its source to reconnect, unless the agent is given another. */
    public static final Duration DEFAULT_INTERRUPTED_EXPIRY = Duration.ofMinutes(10);

    private record Ended(DestinationSession.State state, long atNanos) {}

    public MigrationAgent(Hypervisor hv, int workerThreads, Consumer<DestinationSession> onSession) {
        this(hv, workerThreads, onSession, DEFAULT_INTERRUPTED_EXPIRY);
    }

    public MigrationAgent(Hypervisor hv, int workerThreads, Consumer<DestinationSession> onSession,
                          Duration interruptedExpiry) {
        if (interruptedExpiry.isNegative() || interruptedExpiry.isZero()) {
            throw new IllegalArgumentException("interrupted-session expiry " + interruptedExpiry);
        }
        this.hv = hv;
        this.workers = Transports.eventLoops(workerThreads);
        this.onSession = onSession;
        this.expiryNanos = interruptedExpiry.toNanos();
        long period = Math.clamp(expiryNanos / 10, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(10));
        boss.scheduleAtFixedRate(this::expire, period, period, TimeUnit.NANOSECONDS);
    }

    /** Sessions in the table (in progress, or interrupted and waiting for their source). */
    public int sessionCount() {
        return sessions.size();
    }

    /** Ended sessions still remembered for a late reconnect. */
    public int endedCount() {
        return ended.size();
    }

    /** The expiry sweep: abandons interrupted sessions past the expiry, forgets endings older than it. */
    private void expire() {
        long now = System.nanoTime();
        for (DestinationSession s : sessions.values()) s.abandonIfInterruptedBefore(now - expiryNanos);
        ended.values().removeIf(e -> now - e.atNanos() > expiryNanos);
    }

    /**
     * Connections that have not sent a complete HELLO within {@code timeout} are closed (without an ERROR: the peer
     * said nothing to answer), so idle or trickling connections cannot pile up. Call before {@link #listen}.
     */
    public MigrationAgent handshakeTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("handshake timeout " + timeout);
        handshakeTimeoutNanos = timeout.toNanos();
        return this;
    }

    /** Binds {@code address} (port 0: any free port) and starts accepting. */
    public MigrationAgent listen(InetSocketAddress address) throws InterruptedException {
        server = Transports.server(boss, workers).childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new FrameDecoder(FrameDecoder.Side.DESTINATION), new Connection(),
                        new ProtocolErrorHandler(null));
            }
        }).bind(address).sync().channel();
        return this;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    public DestinationSession session(UUID id) {
        return sessions.get(id);
    }

    @Override
    public void close() {
        if (server != null) server.close().syncUninterruptibly();
        sessions.values().forEach(s -> s.discard("agent shutting down"));
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One accepted connection: CONTROL or BULK of one session, decided by its HELLO. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        private DestinationSession session;
        private Hello hello;
        private PagesFrameReader reader;
        private io.xmig.dataplane.protocol.PagesInflater inflater;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.executor().schedule(() -> {
                if (hello == null) ctx.close();                  // no HELLO in time: a stray or hostile peer
            }, handshakeTimeoutNanos, TimeUnit.NANOSECONDS);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Frame f = (Frame) msg;
            try {
                if (hello == null) onHello(ctx, Hello.decode(f.body()));
                else if (!session.owns(ctx.channel())) ctx.close();       // replaced by a reconnect: ignore it
                else if (hello.role() == ChannelRole.BULK) onBulk(f);
                else if (hello.role() == ChannelRole.FAULT) onFault(f);
                else onControl(f);
            } finally {
                f.release();
            }
        }

        private void onHello(ChannelHandlerContext ctx, Hello h) {
            hello = h;
            if (h.role() == ChannelRole.CONTROL && h.recover()) {
                DestinationSession s = sessions.get(h.sessionId());
                Ended end = s == null ? ended.get(h.sessionId()) : null;
                if (end != null && end.state() != DestinationSession.State.DISCARDED) {
                    // resumed, or abandoned after an interruption: the guest runs here, the source must stay paused
                    throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "session " + h.sessionId() + " already "
                            + (end.state() == DestinationSession.State.RESUMED ? "resumed" : "abandoned after its interruption")
                            + " here: the guest runs on this host");
                }
                if (s == null) throw new ProtocolException(ErrorCode.UNKNOWN_SESSION, "no session " + h.sessionId() + " to recover");
                s.recoverControl(h, ctx.channel());
                session = s;
            } else if (h.role() == ChannelRole.CONTROL) {
                DestinationSession s = new DestinationSession(hv, h);
                if (sessions.putIfAbsent(h.sessionId(), s) != null) {
                    hv.simulator().ifPresent(sim -> sim.destroy(s.domid()));
                    throw new ProtocolException(ErrorCode.DUPLICATE_HANDSHAKE, "session " + h.sessionId() + " already exists");
                }
                s.attachControl(ctx.channel());
                s.outcome().whenComplete((st, e) -> {
                    if (st != null) ended.put(h.sessionId(), new Ended(st, System.nanoTime()));
                    sessions.remove(h.sessionId(), s);
                });
                session = s;
                if (onSession != null) onSession.accept(s);
            } else if (h.role() == ChannelRole.BULK) {
                DestinationSession s = sessions.get(h.sessionId());
                if (s == null) throw new ProtocolException(ErrorCode.UNKNOWN_SESSION, "no session " + h.sessionId() + " for bulk channel " + h.channelIndex());
                s.attachBulk(h, ctx.channel());
                session = s;
                reader = new PagesFrameReader(h.guestPages(), h.pageSize());
                reader.expectChannel(h.channelIndex(), h.bulkChannels());
                if (h.lz4()) inflater = new io.xmig.dataplane.protocol.PagesInflater(ctx.alloc(), h.pageSize());
            } else {
                DestinationSession s = sessions.get(h.sessionId());
                if (s == null) throw new ProtocolException(ErrorCode.UNKNOWN_SESSION, "no session " + h.sessionId() + " for a fault channel");
                s.attachFault(ctx.channel());
                session = s;
                reader = new PagesFrameReader(h.guestPages(), h.pageSize());
            }
            ByteBuf out = ctx.alloc().buffer(32);
            new HelloAck(Protocol.VERSION, Protocol.maxFrameLength(h.pageSize())).encode(out);
            ctx.writeAndFlush(out);
        }

        private void onBulk(Frame f) {
            switch (f.type()) {
                case PAGES -> session.receivePages(hello.channelIndex(), reader, f.body());
                case PAGES_LZ4 -> {
                    if (inflater == null) {
                        throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "PAGES_LZ4 on a bulk channel whose HELLO did not declare LZ4");
                    }
                    session.receivePages(hello.channelIndex(), reader, inflater.inflate(f.body()));
                }
                case ROUND_END -> session.roundEnd(hello.channelIndex(), RoundEnd.decode(f.body()));
                default -> throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, f.type() + " on a bulk channel");
            }
        }

        private void onFault(Frame f) {
            switch (f.type()) {
                case PAGES -> session.receiveFaultPages(reader, f.body());
                // the source refused one of our requests (a bug on this side): say so, keep serving the others
                case ERROR -> System.err.println("xmig agent: session " + session.id() + ": the source refused a fault request: "
                        + io.xmig.dataplane.protocol.ErrorFrame.decode(f.body()).message());
                default -> throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, f.type() + " on the fault channel");
            }
        }

        private void onControl(Frame f) {
            switch (f.type()) {
                case VCPU_CONTEXT -> session.vcpuContext(VcpuContext.decode(f.body()).context());
                case COMPLETE -> session.complete();
                case VERIFY_REQUEST -> session.verify(VerifyRequest.decode(f.body(), hello.guestPages()));
                case RESUME -> session.resume();
                case ABORT -> session.discard("source aborted: " + Abort.decode(f.body()).reason());
                case POSTCOPY_DISCARD -> session.discardChunk(BitmapChunk.decode(f.type(), f.body(), hello.guestPages()));
                case POSTCOPY_START -> session.postcopyStart(PostcopyStart.decode(f.body(), hello.guestPages()));
                case POSTCOPY_DONE -> session.postcopyDone(PostcopyDone.decode(f.body()));
                default -> throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, f.type() + " on the control channel");
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (inflater != null) inflater.close();
            if (session != null && session.owns(ctx.channel())) {
                session.discard("a " + hello.role() + " channel closed before the guest resumed");
            }
            ctx.fireChannelInactive();
        }
    }
}
