package io.xmig.bindings;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * {@code struct hvm_save_descriptor} ({@code <xen/hvm/save.h>}, 8 bytes): the header of each record in an HVM
 * context ({@link XenCtrl#xc_domain_hvm_getcontext}); {@code length} bytes of payload follow it.
 *
 * <p>Accessors take the byte offset of the descriptor in a context blob and read unaligned, so they work on
 * native buffers and on heap segments ({@code MemorySegment.ofArray(byte[])}) alike, in native byte order
 * (the context is the hypervisor's, never converted). No state, thread-safe.
 */
public final class HvmSaveDescriptor {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            JAVA_SHORT.withName("typecode"),
            JAVA_SHORT.withName("instance"),
            JAVA_INT.withName("length")
    ).withName("hvm_save_descriptor");

    private static final long typecode$OFFSET = LAYOUT.byteOffset(groupElement("typecode"));
    private static final long instance$OFFSET = LAYOUT.byteOffset(groupElement("instance"));
    private static final long length$OFFSET = LAYOUT.byteOffset(groupElement("length"));

    private HvmSaveDescriptor() {}

    /** Demultiplexes the record types (uint16_t). */
    public static int typecode(MemorySegment ctxt, long offset) {
        return Short.toUnsignedInt(ctxt.get(JAVA_SHORT_UNALIGNED, offset + typecode$OFFSET));
    }
    public static void typecode(MemorySegment ctxt, long offset, int v) {
        ctxt.set(JAVA_SHORT_UNALIGNED, offset + typecode$OFFSET, (short) v);
    }

    /** Demultiplexes within a type, e.g. the vCPU of a CPU record (uint16_t). */
    public static int instance(MemorySegment ctxt, long offset) {
        return Short.toUnsignedInt(ctxt.get(JAVA_SHORT_UNALIGNED, offset + instance$OFFSET));
    }
    public static void instance(MemorySegment ctxt, long offset, int v) {
        ctxt.set(JAVA_SHORT_UNALIGNED, offset + instance$OFFSET, (short) v);
    }

    /** Payload bytes, not counting this descriptor (uint32_t). */
    public static int length(MemorySegment ctxt, long offset) {
        return ctxt.get(JAVA_INT_UNALIGNED, offset + length$OFFSET);
    }
    public static void length(MemorySegment ctxt, long offset, int v) {
        ctxt.set(JAVA_INT_UNALIGNED, offset + length$OFFSET, v);
    }
}
