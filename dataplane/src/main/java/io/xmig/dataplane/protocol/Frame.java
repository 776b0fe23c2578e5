package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.util.ReferenceCounted;

/**
 * One frame as {@link FrameDecoder} emits it: its type and its body (the bytes after the 8-byte header), a retained
 * slice of the connection's receive buffer, so no byte is copied.
 *
 * <p><b>Ownership:</b> whoever receives a Frame in {@code channelRead} owns one reference and must
 * {@link #release()} it on every path (normally in a {@code finally}), or pass it on. Nothing decoded from the body
 * (a {@link PagesFrameReader} position, a {@link PagesFrameReader#data()} segment) may be used after that. A Frame
 * that reaches the end of the pipeline unhandled is released by Netty's tail handler; frames still queued when an
 * {@code EmbeddedChannel} finishes are released by {@code finishAndReleaseAll()}.
 * Touched by the channel's event-loop thread, or by whichever thread it was handed to with its reference.
 */
public final class Frame implements ReferenceCounted {
    private final FrameType type;
    private final ByteBuf body;

    /** Takes ownership of {@code body}'s reference. */
    public Frame(FrameType type, ByteBuf body) {
        this.type = type;
        this.body = body;
    }

    public FrameType type() {
        return type;
    }

    /** The body, readable from its reader index to its writer index; valid until the frame is released. */
    public ByteBuf body() {
        return body;
    }

    @Override
    public int refCnt() {
        return body.refCnt();
    }

    @Override
    public Frame retain() {
        body.retain();
        return this;
    }

    @Override
    public Frame retain(int increment) {
        body.retain(increment);
        return this;
    }

    @Override
    public Frame touch() {
        body.touch();
        return this;
    }

    @Override
    public Frame touch(Object hint) {
        body.touch(hint);
        return this;
    }

    @Override
    public boolean release() {
        return body.release();
    }

    @Override
    public boolean release(int decrement) {
        return body.release(decrement);
    }

    @Override
    public String toString() {
        return type + "[" + (body.refCnt() > 0 ? body.readableBytes() + " body bytes" : "released") + "]";
    }
}
