package io.xmig.control.faults;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.Protocol;
import io.xmig.dataplane.transport.Transports;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Fault injection for tests and the reliability campaign (docs/RELIABILITY.md), not for production use: an in-process
 * Netty relay between a migration source and an agent that injects one {@link Fault} at a
 * chosen point of the migration. It reads the source's stream frame by frame (the length field of protocol v1, no
 * more) to know where the migration is, and acts on the first frame that matches the fault's {@link Phase}:
 * <ul>
 *   <li>HANDSHAKE: the CONTROL connection's HELLO;</li>
 *   <li>PRECOPY_ROUND: the first PAGES frame of round {@code round} on a BULK connection, before any switch;</li>
 *   <li>STOP_AND_COPY: VCPU_CONTEXT (the guest is paused, its final round sent, READY not yet back);</li>
 *   <li>SWITCH: POSTCOPY_START;</li>
 *   <li>POSTCOPY: the first PAGES frame of the push after POSTCOPY_START;</li>
 *   <li>COMPLETION: RESUME (pre-copy) or POSTCOPY_DONE (post-copy).</li>
 * </ul>
 * and, per {@link Kind}: CUT closes every connection without forwarding the frame and refuses new connections
 * ({@link #heal} lets them through again); STALL forwards nothing more in either direction on any connection, new
 * ones included, while keeping them open; DELAY forwards the frame and everything after it, both ways, 60 ms late;
 * TRUNCATE forwards the first half of the frame and closes that connection; DUPLICATE forwards it twice; CORRUPT
 * forwards it with its header's reserved byte set; KILL runs the hook given (kill the agent process) and then
 * closes every connection. The destination's stream is relayed as it comes. Backpressure is passed through (a relay
 * reads only while the other side is writable). Event-loop threads only, except {@link #heal} and {@link #close}.
 */
public final class FaultProxy implements AutoCloseable {
    public enum Phase { HANDSHAKE, PRECOPY_ROUND, STOP_AND_COPY, SWITCH, POSTCOPY, COMPLETION }

    public enum Kind { CUT, STALL, DELAY, TRUNCATE, DUPLICATE, CORRUPT, KILL }

    public record Fault(Kind kind, Phase phase, int round) {
        @Override
        public String toString() {
            return kind + " at " + phase + (phase == Phase.PRECOPY_ROUND ? " " + round : "");
        }
    }

    public static final Duration DELAY = Duration.ofMillis(60);
    private static final int ROLE_CONTROL = 1, ROLE_BULK = 2;

    private final EventLoopGroup group = Transports.eventLoops(2);
    private final InetSocketAddress target;
    private final Fault fault;
    private final Runnable kill;
    private final Channel server;
    private final List<Channel> open = new CopyOnWriteArrayList<>();
    private final CountDownLatch triggered = new CountDownLatch(1);
    private volatile boolean fired, refusing, stalled, delayed, switchSeen;

    public FaultProxy(InetSocketAddress target, Fault fault, Runnable kill) throws InterruptedException {
        this.target = target;
        this.fault = fault;
        this.kill = kill;
        this.server = Transports.server(group, group).childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accept(ch);
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    /** Whether the fault has been injected, waiting up to {@code timeout}. */
    public boolean awaitTriggered(Duration timeout) throws InterruptedException {
        return triggered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public boolean triggered() {
        return triggered.getCount() == 0;
    }

    /** After a CUT: new connections get through again (and nothing is stalled any more). */
    public void heal() {
        refusing = false;
    }

    private void accept(SocketChannel in) {
        if (refusing) {
            in.close();
            return;
        }
        open.add(in);
        Bootstrap b = Transports.client(in.eventLoop()).handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel out) {
                out.pipeline().addLast(new Relay(in, null));
            }
        });
        b.connect(target).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                in.close();
                return;
            }
            Channel out = f.channel();
            open.add(out);
            in.pipeline().addLast(new LengthFieldBasedFrameDecoder(2 * Protocol.maxFrameLength(Protocol.PAGE_SIZE), 0, 4, 0, 0),
                    new Relay(out, new SourceStream()));
            in.config().setAutoRead(true);
            out.config().setAutoRead(true);
        });
    }

    /** What the proxy knows about one source connection: its role, read from its HELLO. */
    private final class SourceStream {
        int role;

        /** Whether {@code frame} (a whole frame, length field included) is where the fault goes. */
        boolean matches(ByteBuf frame) {
            int type = frame.getUnsignedByte(frame.readerIndex() + 4);
            int body = frame.readerIndex() + Protocol.HEADER_BYTES;
            if (type == FrameType.HELLO.code()) role = frame.getUnsignedByte(body + 6);
            if (type == FrameType.POSTCOPY_START.code() && fault.phase() != Phase.SWITCH) switchSeen = true;
            return switch (fault.phase()) {
                case HANDSHAKE -> type == FrameType.HELLO.code() && role == ROLE_CONTROL;
                case PRECOPY_ROUND -> type == FrameType.PAGES.code() && role == ROLE_BULK && !switchSeen
                        && frame.getInt(body) == fault.round();
                case STOP_AND_COPY -> type == FrameType.VCPU_CONTEXT.code();
                case SWITCH -> type == FrameType.POSTCOPY_START.code();
                case POSTCOPY -> type == FrameType.PAGES.code() && role == ROLE_BULK && switchSeen;
                case COMPLETION -> type == FrameType.RESUME.code() || type == FrameType.POSTCOPY_DONE.code();
            };
        }
    }

    /** Relays what one channel reads to {@code peer}; on the source's side (with a stream), frame by frame. */
    private final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;
        private final SourceStream stream;

        Relay(Channel peer, SourceStream stream) {
            this.peer = peer;
            this.stream = stream;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            if (stalled) {
                b.release();
                return;
            }
            if (stream != null && !fired && stream.matches(b)) {
                fired = true;
                triggered.countDown();          // first: a KILL's hook may take a while, the test may see its effect
                inject(ctx, b);
                return;
            }
            forward(b);
            if (!peer.isWritable()) ctx.channel().config().setAutoRead(false);
        }

        private void forward(ByteBuf b) {
            if (delayed) {
                peer.eventLoop().schedule(() -> { peer.writeAndFlush(b); }, DELAY.toMillis(), TimeUnit.MILLISECONDS);
            } else {
                peer.writeAndFlush(b);
            }
        }

        private void inject(ChannelHandlerContext ctx, ByteBuf frame) {
            switch (fault.kind()) {
                case CUT -> {
                    frame.release();
                    refusing = true;
                    closeAll();
                }
                case STALL -> {
                    frame.release();
                    stalled = true;
                }
                case DELAY -> {
                    delayed = true;
                    forward(frame);
                }
                case TRUNCATE -> {
                    ByteBuf half = frame.retainedSlice(frame.readerIndex(), frame.readableBytes() / 2);
                    frame.release();
                    peer.writeAndFlush(half).addListener(ChannelFutureListener.CLOSE);
                    ctx.close();
                }
                case DUPLICATE -> {
                    forward(frame.retainedDuplicate());
                    forward(frame);
                }
                case CORRUPT -> {
                    frame.setByte(frame.readerIndex() + 6, 0x5A);
                    forward(frame);
                }
                case KILL -> {
                    frame.release();
                    refusing = true;
                    kill.run();
                    closeAll();
                }
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // this channel drained: let its peer's reads resume
            if (ctx.channel().isWritable()) peer.config().setAutoRead(true);
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            // a stalled network delivers no FIN either; a delayed one delivers it after the data before it
            if (delayed) peer.eventLoop().schedule(() -> { closeAfterWrites(peer); }, DELAY.toMillis(), TimeUnit.MILLISECONDS);
            else if (!stalled) closeAfterWrites(peer);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();                        // a reset, or a frame longer than v1 allows: the relay ends
        }
    }

    private static void closeAfterWrites(Channel c) {
        c.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeAll() {
        for (Channel c : open) c.close();
    }

    @Override
    public void close() {
        if (group.isShuttingDown()) return;
        refusing = true;
        server.close().syncUninterruptibly();
        closeAll();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
