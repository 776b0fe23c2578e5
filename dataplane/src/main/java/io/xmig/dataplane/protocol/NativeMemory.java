package io.xmig.dataplane.protocol;

import java.lang.foreign.MemorySegment;

/**
 * One segment spanning the whole address space, so that a Netty buffer's native memory can be copied to and
 * viewed at {@code memoryAddress()} without creating a segment per run ({@code MemorySegment.ofAddress(a)
 * .reinterpret(n)} would allocate one each time, and call a restricted method each time). Bounds are the caller's
 * job: every use is preceded by a check against the buffer's indices. Stateless; any thread.
 */
final class NativeMemory {
    /** Needs {@code --enable-native-access=ALL-UNNAMED} (xmig's launcher and test flags have it). */
    static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private NativeMemory() {}
}
