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
 * <p>Owns its event loops and the server channel ({@link #close()}); sessions are reached from the event-loop
 * threads of their channels.
 */
public final class MigrationAgent implements AutoCloseable {
    private final Hypervisor hv;
    private final EventLoopGroup boss = Transports.eventLoops(1);
    private final EventLoopGroup workers;
    private final Map<UUID, DestinationSession> sessions = new ConcurrentHashMap<>();
    /** How ended sessions ended, so that a source asking to recover one learns whether the guest runs here. */
    private final Map<UUID, DestinationSession.State> ended = new ConcurrentHashMap<>();
    private final Consumer<DestinationSession> onSession;
    private Channel server;

    public MigrationAgent(Hypervisor hv, int workerThreads, Consumer<DestinationSession> onSession) {
        this.hv = hv;
        this.workers = Transports.eventLoops(workerThreads);
        this.onSession = onSession;
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
                if (s == null && ended.get(h.sessionId()) == DestinationSession.State.RESUMED) {
                    throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "session " + h.sessionId()
                            + " already resumed here: the guest runs on this host");
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
                    if (st != null) ended.put(h.sessionId(), st);
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
