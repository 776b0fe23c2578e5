package io.xmig.dataplane.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.xmig.dataplane.pagepath.PagePathException;
import io.xmig.dataplane.protocol.ChannelRole;
import io.xmig.dataplane.protocol.ErrorFrame;
import io.xmig.dataplane.protocol.Frame;
import io.xmig.dataplane.protocol.FrameDecoder;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.Hello;
import io.xmig.dataplane.protocol.HelloAck;
import io.xmig.dataplane.protocol.ProtocolErrorHandler;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The source's connections to one destination: a CONTROL channel and N BULK channels, each opened with HELLO and
 * accepted with HELLO_ACK. Frames that arrive on the control channel after the handshake wait in an inbox that the
 * session thread reads with {@link #awaitControl}; an ERROR from the peer on any channel, or a channel closing, shows
 * up there as a failure.
 *
 * <p>Owns its event loops and channels; {@link #close()} closes them. The inbox is read by one thread.
 */
public final class SourceTransport implements AutoCloseable {
    private static final Object CLOSED = new Object();

    private final EventLoopGroup group;
    private final List<Channel> bulk = new ArrayList<>();
    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    private final UUID sessionId;
    private volatile String peerError;
    private Channel control;
    private Channel fault;
    private volatile Consumer<Frame> faultListener;
    private final java.util.ArrayDeque<Frame> earlyFaults = new java.util.ArrayDeque<>();   // fault event loop only

    private SourceTransport(UUID sessionId, int threads) {
        this.sessionId = sessionId;
        this.group = Transports.eventLoops(threads);
    }

    /** Connects and handshakes every channel, or fails with a message naming the peer and the reason. */
    public static SourceTransport connect(InetSocketAddress peer, UUID sessionId, long guestPages, int pageSize,
                                          int bulkChannels, Duration timeout) throws InterruptedException {
        return connect(peer, sessionId, guestPages, pageSize, bulkChannels, timeout, false);
    }

    /** With {@code recover}, every HELLO carries {@link Hello#CAP_RECOVER}: the channels rejoin an interrupted session. */
    public static SourceTransport connect(InetSocketAddress peer, UUID sessionId, long guestPages, int pageSize,
                                          int bulkChannels, Duration timeout, boolean recover) throws InterruptedException {
        SourceTransport t = new SourceTransport(sessionId, Math.min(bulkChannels + 1, 4));
        int caps = recover ? Hello.CAP_RECOVER : 0;
        try {
            t.control = t.open(peer, new Hello(ChannelRole.CONTROL, 0, sessionId, guestPages, pageSize, bulkChannels, caps), timeout, true);
            for (int i = 0; i < bulkChannels; i++) {
                t.bulk.add(t.open(peer, new Hello(ChannelRole.BULK, i, sessionId, guestPages, pageSize, bulkChannels, caps | Hello.CAP_LZ4), timeout, false));
            }
            t.fault = t.open(peer, new Hello(ChannelRole.FAULT, 0, sessionId, guestPages, pageSize, bulkChannels, caps), timeout, false);
            return t;
        } catch (InterruptedException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private Channel open(InetSocketAddress peer, Hello hello, Duration timeout, boolean isControl) throws InterruptedException {
        LinkedBlockingQueue<Object> handshake = new LinkedBlockingQueue<>();
        Channel ch;
        try {
            ch = Transports.client(group).handler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel c) {
                    c.pipeline().addLast(new FrameDecoder(FrameDecoder.Side.SOURCE),
                            new Inbound(handshake, isControl),
                            new ProtocolErrorHandler(null));
                }
            }).connect(peer).sync().channel();
        } catch (Exception e) {
            if (e instanceof InterruptedException ie) throw ie;
            throw new PagePathException("cannot connect to " + peer + ": " + e.getMessage(), e);
        }
        ByteBuf out = ch.alloc().buffer(64);
        hello.encode(out);
        ch.writeAndFlush(out);
        Object reply = handshake.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (reply == null) { ch.close(); throw new PagePathException(peer + " did not answer HELLO within " + timeout); }
        if (reply instanceof HelloAck) return ch;
        ch.close();
        if (reply instanceof ErrorFrame err) throw new PeerRefusedException(err.code(), peer + " refused the " + hello.role() + " channel: " + err.code() + ": " + err.message());
        throw new PagePathException(peer + " closed the " + hello.role() + " channel during the handshake"
                + (peerError != null ? " (" + peerError + ")" : ""));
    }

    public UUID sessionId() { return sessionId; }
    public Channel control() { return control; }
    public List<Channel> bulk() { return List.copyOf(bulk); }
    /** The post-copy priority connection: FAULT_REQUESTs in, PAGES answers out, ahead of the bulk stream. */
    public Channel fault() { return fault; }

    /**
     * Where FAULT_REQUEST frames go (on the fault channel's event loop); the listener releases each frame. Requests that
     * arrived before it was set (a destination that reconnects asks at once) are handed to it first, on that loop.
     */
    public void onFault(Consumer<Frame> listener) {
        fault.eventLoop().execute(() -> {
            faultListener = listener;
            for (Frame f; (f = earlyFaults.poll()) != null; ) listener.accept(f);
        });
    }

    /**
     * The next frame on the control channel, or a {@link PagePathException} when the peer sent ERROR, closed the
     * channel, or said nothing for {@code timeout}. The caller releases the frame.
     */
    public Frame awaitControl(Duration timeout) throws InterruptedException {
        Object o = inbox.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (o == null) throw new PagePathException("the destination said nothing for " + timeout);
        if (o instanceof Frame f) return f;
        if (o instanceof ErrorFrame e) throw new PagePathException("the destination reported " + e.code() + ": " + e.message());
        inbox.offer(CLOSED);                               // stay failed for later readers
        throw new PagePathException("the destination closed the connection" + (peerError != null ? " (" + peerError + ")" : ""));
    }

    /** Writes and flushes a control frame built by {@code encoder}. */
    public void sendControl(Consumer<ByteBuf> encoder) {
        ByteBuf out = control.alloc().buffer(256);
        encoder.accept(out);
        control.writeAndFlush(out);
    }

    /** The error the peer sent on any channel, if it sent one. */
    public String peerError() {
        return peerError;
    }

    @Override
    public void close() {
        if (control != null) control.close();
        for (Channel c : bulk) c.close();
        if (fault != null) fault.close();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Handshake replies go to the opener; later control frames to the inbox; bulk channels only ever get errors. */
    private final class Inbound extends ChannelInboundHandlerAdapter {
        private final LinkedBlockingQueue<Object> handshake;
        private final boolean isControl;
        private boolean acked;

        Inbound(LinkedBlockingQueue<Object> handshake, boolean isControl) {
            this.handshake = handshake;
            this.isControl = isControl;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Frame f = (Frame) msg;
            try {
                if (f.type() == FrameType.ERROR) {
                    ErrorFrame err = ErrorFrame.decode(f.body());
                    peerError = err.code() + ": " + err.message();
                    (acked ? inbox : handshake).offer(err);
                    ctx.close();
                    return;
                }
                if (!acked) {
                    if (f.type() != FrameType.HELLO_ACK) throw new PagePathException("expected HELLO_ACK, got " + f.type());
                    acked = true;
                    handshake.offer(HelloAck.decode(f.body()));
                    return;
                }
                if (f.type() == FrameType.FAULT_REQUEST) {
                    Consumer<Frame> l = faultListener;
                    if (l == null) {
                        if (earlyFaults.size() >= 1024) throw new PagePathException("FAULT_REQUESTs before post-copy started");
                        earlyFaults.add(f.retain());
                    } else {
                        l.accept(f.retain());
                    }
                    return;
                }
                if (!isControl) throw new PagePathException("unexpected " + f.type() + " on a bulk channel");
                inbox.offer(f.retain());
            } finally {
                f.release();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            for (Frame f; (f = earlyFaults.poll()) != null; ) f.release();
            handshake.offer(CLOSED);
            inbox.offer(CLOSED);
            ctx.fireChannelInactive();
        }
    }
}
