package io.xmig.dataplane.hypervisor;

/**
 * Log-dirty mode of one domain, with Xen's meaning: after {@link #enable()}, {@link #clean} reports every page written
 * since the previous CLEAN (or since enable) and starts a new interval; {@link #peek} reports the same without
 * starting one. A write racing with a CLEAN is reported by that CLEAN or by the next one, never lost.
 *
 * <p>Used by one thread at a time (the migration session's); it keeps one scratch stats buffer.
 */
public interface DirtyLog {

    /** XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY. Fails with EINVAL when already enabled. */
    void enable();

    /** XEN_DOMCTL_SHADOW_OP_OFF; harmless when not enabled. */
    void disable();

    /** Read and clear (XEN_DOMCTL_SHADOW_OP_CLEAN); {@code finalPass} marks the last pass, the domain paused. */
    LogDirtyStats clean(DirtyBitmap into, boolean finalPass);

    /** Read only (XEN_DOMCTL_SHADOW_OP_PEEK). */
    LogDirtyStats peek(DirtyBitmap into);
}
