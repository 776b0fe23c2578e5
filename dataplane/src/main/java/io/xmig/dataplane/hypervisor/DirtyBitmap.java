package io.xmig.dataplane.hypervisor;

import java.lang.foreign.MemorySegment;

/**
 * A {@link PageBitmap} living in a hypercall buffer, the only memory the hypervisor writes a log-dirty bitmap
 * into. Owns that buffer and its {@code xc_hypercall_buffer_t} descriptor; {@link #close()} frees both.
 * Made by {@link Hypervisor#newDirtyBitmap(long)}; filled by {@link DirtyLog#clean} and {@link DirtyLog#peek}.
 * Not thread-safe.
 */
public final class DirtyBitmap extends PageBitmap implements AutoCloseable {
    private final MemorySegment descriptor;
    private final Runnable release;
    private boolean closed;

    DirtyBitmap(MemorySegment bits, long pages, MemorySegment descriptor, Runnable release) {
        super(bits, pages);
        this.descriptor = descriptor;
        this.release = release;
    }

    /** The {@code xc_hypercall_buffer_t *} to hand to {@code xc_logdirty_control}. */
    MemorySegment descriptor() {
        if (closed) throw new IllegalStateException("dirty bitmap already closed");
        return descriptor;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        release.run();
    }
}
