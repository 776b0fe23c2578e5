package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * RECOVER_READY (0x48), destination to source on a reconnected CONTROL channel: the RECOVER_MISSING chunks that
 * preceded it name every page the destination still lacks, {@code missingPages} of them. Body (8 bytes):
 * {@code u64 missing_pages}. Any thread.
 */
public record RecoverReady(long missingPages) {
    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.RECOVER_READY);
        out.writeLong(missingPages);
        Wire.end(out, start);
    }

    public static RecoverReady decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.RECOVER_READY, 8);
        return new RecoverReady(Wire.u64Long(body, body.readerIndex(), FrameType.RECOVER_READY, "missing_pages"));
    }
}
