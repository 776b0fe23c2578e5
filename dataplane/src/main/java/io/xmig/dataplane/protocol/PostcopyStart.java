package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * POSTCOPY_START (0x41), source to destination on CONTROL, after the vCPU context and every POSTCOPY_DISCARD chunk:
 * the guest is paused at the source; the destination drops the discarded pages, loads the context and resumes the guest
 * at once, its missing pages to come by FAULT_REQUEST and by the background push. {@code lastRound} is the last
 * pre-copy round whose ROUND_END precedes this on every bulk channel, or -1 when there was none (post-copy only): the
 * destination first waits for those. {@code missingPages} is how many pages the destination will be missing.
 * Body (12 bytes): {@code i32 last_round · u64 missing_pages}. Any thread.
 */
public record PostcopyStart(int lastRound, long missingPages) {
    public static final int BODY_BYTES = 12;

    public PostcopyStart {
        if (lastRound < -1 || missingPages < 0) throw new IllegalArgumentException(lastRound + " " + missingPages);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.POSTCOPY_START);
        out.writeInt(lastRound);
        out.writeLong(missingPages);
        Wire.end(out, start);
    }

    public static PostcopyStart decode(ByteBuf body, long guestPages) {
        Wire.exactBody(body, FrameType.POSTCOPY_START, BODY_BYTES);
        int i = body.readerIndex();
        int round = body.getInt(i);
        if (round < -1) throw ProtocolException.malformed("POSTCOPY_START last_round " + round);
        long missing = Wire.u64Long(body, i + 4, FrameType.POSTCOPY_START, "missing_pages");
        if (missing > guestPages) {
            throw new ProtocolException(ErrorCode.PAGE_OUT_OF_RANGE, "POSTCOPY_START: " + missing + " missing pages in a guest of " + guestPages);
        }
        return new PostcopyStart(round, missing);
    }
}
