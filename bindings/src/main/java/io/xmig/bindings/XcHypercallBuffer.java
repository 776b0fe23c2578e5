package io.xmig.bindings;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * {@code xc_hypercall_buffer_t} ({@code <xenctrl.h>}, 40 bytes): the descriptor of a hypercall-safe buffer,
 * such as the log-dirty bitmap. Use it as the C macros do:
 * <pre>{@code
 * MemorySegment b = XcHypercallBuffer.declare(arena);                  // DECLARE_HYPERCALL_BUFFER
 * MemorySegment bitmap = xc.xc__hypercall_buffer_alloc_pages(xch, b, n) // fills b->hbuf
 *         .reinterpret(n * XenCtrl.XC_PAGE_SIZE);
 * xc.xc_logdirty_control(xch, domid, XEN_DOMCTL_SHADOW_OP_CLEAN, b, pages, 0, stats);
 * xc.xc__hypercall_buffer_free_pages(xch, b, n);
 * }</pre>
 * A layout and static accessors over segments the caller owns; no state, thread-safe. The descriptor
 * segment must stay alive until the pages are freed.
 */
public final class XcHypercallBuffer {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("hbuf"),
            ADDRESS.withName("param_shadow"),
            JAVA_INT.withName("dir"),
            MemoryLayout.paddingLayout(4),
            ADDRESS.withName("ubuf"),
            JAVA_LONG.withName("sz")
    ).withName("xc_hypercall_buffer");

    private static final VarHandle hbuf = field("hbuf");
    private static final VarHandle param_shadow = field("param_shadow");
    private static final VarHandle dir = field("dir");
    private static final VarHandle ubuf = field("ubuf");
    private static final VarHandle sz = field("sz");
    /** {@code (void *)-1}: HYPERCALL_BUFFER_INIT_NO_BOUNCE's ubuf. */
    private static final MemorySegment NO_BOUNCE = MemorySegment.ofAddress(-1L);

    private XcHypercallBuffer() {}

    private static VarHandle field(String name) {
        return LAYOUT.varHandle(groupElement(name));
    }

    /** Allocates a descriptor initialised as {@code DECLARE_HYPERCALL_BUFFER} does. */
    public static MemorySegment declare(SegmentAllocator allocator) {
        MemorySegment b = allocator.allocate(LAYOUT);
        init(b);
        return b;
    }

    /** {@code {.hbuf = NULL, .param_shadow = NULL, .dir = 0, .ubuf = (void *)-1, .sz = 0}}, as {@code DECLARE_HYPERCALL_BUFFER}. */
    public static void init(MemorySegment b) {
        hbuf(b, MemorySegment.NULL);
        param_shadow(b, MemorySegment.NULL);
        dir(b, 0);
        ubuf(b, NO_BOUNCE);
        sz(b, 0L);
    }

    /** {@code void *hbuf}: the hypercall-safe memory, a zero-length segment (NULL before allocation). */
    public static MemorySegment hbuf(MemorySegment b) { return (MemorySegment) hbuf.get(b, 0L); }
    public static void hbuf(MemorySegment b, MemorySegment v) { hbuf.set(b, 0L, v); }

    public static MemorySegment param_shadow(MemorySegment b) { return (MemorySegment) param_shadow.get(b, 0L); }
    public static void param_shadow(MemorySegment b, MemorySegment v) { param_shadow.set(b, 0L, v); }

    /** Direction of copy for bounce buffering; 0 for buffers xmig allocates. */
    public static int dir(MemorySegment b) { return (int) dir.get(b, 0L); }
    public static void dir(MemorySegment b, int v) { dir.set(b, 0L, v); }

    public static MemorySegment ubuf(MemorySegment b) { return (MemorySegment) ubuf.get(b, 0L); }
    public static void ubuf(MemorySegment b, MemorySegment v) { ubuf.set(b, 0L, v); }

    public static long sz(MemorySegment b) { return (long) sz.get(b, 0L); }
    public static void sz(MemorySegment b, long v) { sz.set(b, 0L, v); }
}
