package io.xmig.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/** Downcall plumbing shared by the bindings: symbol look-up, linking, and the per-thread errno capture. */
final class Native {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CAPTURE_LAYOUT.byteOffset(PathElement.groupElement("errno"));

    private Native() {}

    /** A handle for a C function that sets errno: its first parameter is the capture segment ({@link ErrnoCapture#segment()}). */
    static MethodHandle downcallErrno(SymbolLookup lookup, String name, FunctionDescriptor function) {
        return LINKER.downcallHandle(symbol(lookup, name), function, CAPTURE_ERRNO);
    }

    /** A handle for a C function that cannot fail. */
    static MethodHandle downcall(SymbolLookup lookup, String name, FunctionDescriptor function) {
        return LINKER.downcallHandle(symbol(lookup, name), function);
    }

    private static MemorySegment symbol(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalArgumentException(
                "symbol " + name + " not found in the loaded library (wrong library, or one built from an older header?)"));
    }

    /** invokeExact declares Throwable; a downcall only throws unchecked exceptions, which pass through unchanged. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException e) return e;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }

    /**
     * The errno capture of one binding: a segment per thread, allocated on the thread's first call and reused
     * by every later call, so a call allocates nothing. Freed by GC when the thread and the binding are gone.
     */
    static final class ErrnoCapture {
        private final ThreadLocal<MemorySegment> perThread =
                ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

        MemorySegment segment() {
            return perThread.get();
        }

        /** errno as captured by this thread's last call through the binding; 0 before its first call. */
        int errno() {
            return perThread.get().get(JAVA_INT, ERRNO_OFFSET);
        }
    }
}
