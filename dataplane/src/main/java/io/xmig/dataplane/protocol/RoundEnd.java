package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * ROUND_END (0x11), source to destination on each BULK connection after its pages of a round: how many pages this
 * connection sent in {@code round}, and whether that was the final (stop-and-copy) round. Body (16 bytes):
 * {@code u32 round · u64 pages · u8 final · 3 bytes reserved}. Immutable; any thread.
 */
public record RoundEnd(int round, long pages, boolean finalRound) {
    public static final int BODY_BYTES = 16;

    public RoundEnd {
        if (round < 0) throw new IllegalArgumentException("round " + round);
        if (pages < 0) throw new IllegalArgumentException("pages " + pages);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.ROUND_END);
        out.writeInt(round);
        out.writeLong(pages);
        out.writeByte(finalRound ? 1 : 0);
        out.writeMedium(0);
        Wire.end(out, start);
    }

    /** Decodes and validates: round below 2^31, pages below 2^63, final 0 or 1, reserved 0. */
    public static RoundEnd decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.ROUND_END, BODY_BYTES);
        int i = body.readerIndex();
        int round = Wire.u32Int(body, i, FrameType.ROUND_END, "round");
        long pages = Wire.u64Long(body, i + 4, FrameType.ROUND_END, "pages");
        int fin = body.getUnsignedByte(i + 12);
        if (fin > 1) throw ProtocolException.malformed("ROUND_END final " + fin + ": must be 0 or 1");
        Wire.zero(body.getUnsignedMedium(i + 13), FrameType.ROUND_END, "reserved");
        return new RoundEnd(round, pages, fin == 1);
    }
}
