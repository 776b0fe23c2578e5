package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * RESUME (0x25), source to destination on CONTROL: the source has given up the guest; run it. Empty body.
 * Immutable; any thread.
 */
public record Resume() {
    public void encode(ByteBuf out) {
        Wire.end(out, Wire.begin(out, FrameType.RESUME));
    }

    public static Resume decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.RESUME, 0);
        return new Resume();
    }
}
