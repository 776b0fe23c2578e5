package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * POSTCOPY_DONE (0x44), source to destination on CONTROL: the background push is over (its final ROUND_END is on every
 * bulk channel, round {@code finalRound}). With {@code verify} the destination pauses its guest when every page is in,
 * and sends WRITTEN_PAGES after POSTCOPY_COMPLETE so that the source can compare the rest.
 * Body (8 bytes): {@code u32 final_round · u32 flags (bit 0: verify)}. Any thread.
 */
public record PostcopyDone(int finalRound, boolean verify) {
    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.POSTCOPY_DONE);
        out.writeInt(finalRound);
        out.writeInt(verify ? 1 : 0);
        Wire.end(out, start);
    }

    public static PostcopyDone decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.POSTCOPY_DONE, 8);
        int i = body.readerIndex();
        long flags = body.getUnsignedInt(i + 4);
        if ((flags & ~1L) != 0) throw ProtocolException.malformed("POSTCOPY_DONE flags 0x" + Long.toHexString(flags));
        return new PostcopyDone(Wire.u32Int(body, i, FrameType.POSTCOPY_DONE, "final_round"), flags != 0);
    }
}
