package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;

import java.util.function.BiConsumer;

/**
 * Turns an exception on a connection into the protocol's answer: an ERROR frame with the
 * {@link ProtocolException}'s code and message (found directly or as the cause of Netty's
 * {@code DecoderException}), or {@link ErrorCode#INTERNAL} for anything else, then closes the connection once the
 * frame is written. It answers the first exception only; later ones (the connection is already closing) are dropped.
 * Put it last in the pipeline, so exceptions from every handler reach it. One per connection (it remembers whether
 * it answered); touched only by the connection's event-loop thread, which also runs the listener.
 *
 * <p>After the first exception it stops reading from the connection. Frames the decoder had already split out of
 * the same read as the offending one are still delivered to the handlers in front of it (each is valid on its own,
 * and the session is torn down by the listener anyway); frames after a decoder error are never emitted.
 *
 * <p>The ERROR frame always fits {@link Protocol#MAX_HANDSHAKE_FRAME} ({@link ErrorFrame#fitting}): this end
 * cannot know whether the peer has finished its handshake (a destination may refuse a HELLO before its HELLO_ACK
 * is written), and a peer still in its handshake refuses longer frames.
 */
public final class ProtocolErrorHandler extends ChannelInboundHandlerAdapter {
    private final BiConsumer<Channel, ProtocolException> listener;
    private boolean answered;

    public ProtocolErrorHandler() {
        this(null);
    }

    /** {@code listener}, if not null, is told of the first exception, as a ProtocolException (INTERNAL for others). */
    public ProtocolErrorHandler(BiConsumer<Channel, ProtocolException> listener) {
        this.listener = listener;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (answered) return;
        answered = true;
        ctx.channel().config().setAutoRead(false);    // read nothing more from a peer we are hanging up on
        ProtocolException error = asProtocolException(cause);
        try {
            if (listener != null) listener.accept(ctx.channel(), error);
        } finally {
            if (ctx.channel().isActive()) {
                ByteBuf frame = ctx.alloc().buffer(Protocol.MAX_HANDSHAKE_FRAME + 4);
                ErrorFrame.fitting(error.code(), String.valueOf(error.getMessage())).encode(frame);
                ctx.writeAndFlush(frame).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close();
            }
        }
    }

    /** The ProtocolException {@code cause} is or wraps, or an {@link ErrorCode#INTERNAL} one wrapping it. */
    static ProtocolException asProtocolException(Throwable cause) {
        if (cause instanceof ProtocolException pe) return pe;
        if (cause instanceof DecoderException && cause.getCause() instanceof ProtocolException pe) return pe;
        return new ProtocolException(ErrorCode.INTERNAL, "internal error: " + cause.getClass().getSimpleName()
                + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
    }
}
