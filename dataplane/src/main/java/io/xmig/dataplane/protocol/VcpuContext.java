package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.util.Arrays;
import java.util.Objects;

/**
 * VCPU_CONTEXT (0x20), source to destination on CONTROL after the final round: the paused guest's vCPU state, as
 * opaque bytes (Xen's HVM save format, see {@code xc_domain_hvm_getcontext}). Body: {@code u32 size · size bytes},
 * size at most {@link Protocol#MAX_CONTEXT_BYTES}. The record owns its array: callers must not change it after
 * construction. Equality compares contents. Any thread.
 */
public record VcpuContext(byte[] context) {
    public VcpuContext {
        Objects.requireNonNull(context, "context");
        if (context.length > Protocol.MAX_CONTEXT_BYTES) {
            throw new IllegalArgumentException("context of " + context.length + " bytes exceeds "
                    + Protocol.MAX_CONTEXT_BYTES);
        }
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.VCPU_CONTEXT);
        out.writeInt(context.length);
        out.writeBytes(context);
        Wire.end(out, start);
    }

    /** Decodes and validates: size at most 1 MiB and equal to the bytes that follow it. */
    public static VcpuContext decode(ByteBuf body) {
        Wire.minBody(body, FrameType.VCPU_CONTEXT, 4);
        int i = body.readerIndex();
        long size = body.getUnsignedInt(i);
        if (size > Protocol.MAX_CONTEXT_BYTES) {
            throw ProtocolException.malformed("VCPU_CONTEXT size " + size + " exceeds " + Protocol.MAX_CONTEXT_BYTES
                    + " bytes");
        }
        int rest = body.readableBytes() - 4;
        if (size != rest) {
            throw ProtocolException.malformed("VCPU_CONTEXT size " + size + " disagrees with the " + rest
                    + " bytes that follow it");
        }
        byte[] context = new byte[rest];
        body.getBytes(i + 4, context);
        return new VcpuContext(context);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VcpuContext other && Arrays.equals(context, other.context);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(context);
    }

    @Override
    public String toString() {
        return "VcpuContext[" + context.length + " bytes]";
    }
}
