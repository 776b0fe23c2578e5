package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

/**
 * POSTCOPY_COMPLETE (0x45), destination to source on CONTROL: every page has arrived. What the destination measured:
 * demand faults its vCPUs took, pages installed from FAULT answers (pulled) and from the push, the fault round trip
 * (request sent to page installed) median and p99, the total time vCPUs spent blocked on missing pages, and how many
 * pre-paged pages its guest then wrote. With verification on, the guest is paused when this is sent and WRITTEN_PAGES
 * chunks follow. Body (64 bytes): 8 × u64 in the order of the components. Any thread.
 */
public record PostcopyComplete(long faults, long pagesPulled, long pagesPushed, long faultLatencyP50Nanos,
                               long faultLatencyP99Nanos, long vcpuBlocktimeNanos, long prepagedUsed, long writtenChunks) {
    public static final int BODY_BYTES = 64;

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.POSTCOPY_COMPLETE);
        out.writeLong(faults).writeLong(pagesPulled).writeLong(pagesPushed).writeLong(faultLatencyP50Nanos)
                .writeLong(faultLatencyP99Nanos).writeLong(vcpuBlocktimeNanos).writeLong(prepagedUsed).writeLong(writtenChunks);
        Wire.end(out, start);
    }

    public static PostcopyComplete decode(ByteBuf body) {
        Wire.exactBody(body, FrameType.POSTCOPY_COMPLETE, BODY_BYTES);
        int i = body.readerIndex();
        FrameType t = FrameType.POSTCOPY_COMPLETE;
        return new PostcopyComplete(Wire.u64Long(body, i, t, "faults"), Wire.u64Long(body, i + 8, t, "pages_pulled"),
                Wire.u64Long(body, i + 16, t, "pages_pushed"), Wire.u64Long(body, i + 24, t, "fault_latency_p50"),
                Wire.u64Long(body, i + 32, t, "fault_latency_p99"), Wire.u64Long(body, i + 40, t, "vcpu_blocktime"),
                Wire.u64Long(body, i + 48, t, "prepaged_used"), Wire.u64Long(body, i + 56, t, "written_chunks"));
    }
}
