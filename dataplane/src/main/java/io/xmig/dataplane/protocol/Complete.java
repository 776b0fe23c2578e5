package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * COMPLETE (0x21), source to destination on CONTROL: every page and the vCPU context have been sent; the final
 * round was {@code finalRound}. Body (4 bytes): {@code u32 final_round}. Immutable; any thread.
 */
public record Complete(int finalRound) {
    public static final int BODY_BYTES = 4;

    public Complete {
        if (finalRound < 0) throw new IllegalArgumentException("finalRound " + finalRound);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.COMPLETE);
        out.writeInt(finalRound);
        Wire.end(out, start);
    }

    public static Complete decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.COMPLETE, BODY_BYTES);
        return new Complete(Wire.u32Int(body, body.readerIndex(), FrameType.COMPLETE, "final_round"));
    }
}
