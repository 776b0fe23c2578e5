package io.xmig.dataplane.protocol;

import java.lang.management.ManagementFactory;

/**
 * The limits every fuzzed input is held to, besides "no exception but a {@link ProtocolException}": the heap it may
 * allocate while being decoded and the time it may take. Measured on the calling thread around one input
 * ({@link com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}), so an input that makes a decoder
 * allocate by a count read from the wire instead of by the bytes it actually holds fails the fuzz run. One per fuzz
 * target; used by the fuzzing thread only.
 *
 * <p>The allocation ceiling is {@code 4 × input + slack}: the copies a decoder legitimately makes of what it
 * received (a VCPU_CONTEXT's bytes, a bitmap's words, Netty's cumulation buffer) are at most a few times the input.
 * The slack is {@link #BODY_SLACK} for a body decoder alone (an exception and its message), and
 * {@link #CONNECTION_SLACK} for a whole connection: the largest allocation v1 allows for a frame it has not received
 * is the negotiated frame limit itself ({@link Protocol#maxFrameLength}), and a pipeline under the leak detector at
 * PARANOID records a stack trace at every buffer access, so a connection also gets {@link #PER_FRAME_SLACK} for each
 * frame it decoded (an input of many tiny valid frames costs that much in leak records alone).
 * An input during which the JVM loaded a class is not held to either limit: loading, and Jazzer instrumenting,
 * a class costs megabytes and milliseconds that are not the decoder's (it happens on the first inputs that reach
 * a new path).
 */
final class FuzzBudget {
    /** Heap a body decoder may allocate beyond four times the input. */
    static final long BODY_SLACK = 64 * 1024;
    /** Heap a connection may allocate beyond four times the input: one negotiated frame, the largest v1 allows. */
    static final long CONNECTION_SLACK = Protocol.maxFrameLength(Protocol.PAGE_SIZE);
    /** What the leak detector's records (PARANOID) and a frame's record object may cost per decoded frame. */
    static final long PER_FRAME_SLACK = 64 * 1024;
    /** One input, decoded synchronously, may take this long; a decoder loop not bounded by its input would not. */
    static final long MAX_NANOS_PER_INPUT = 2_000_000_000L;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static final java.lang.management.ClassLoadingMXBean CLASSES = ManagementFactory.getClassLoadingMXBean();

    private long startClasses;
    private final long slack;
    private long startBytes;
    private long startNanos;

    FuzzBudget(long slack) {
        this.slack = slack;
    }

    void start() {
        startClasses = CLASSES.getTotalLoadedClassCount();
        startBytes = THREADS.getCurrentThreadAllocatedBytes();
        startNanos = System.nanoTime();
    }

    /** Fails (AssertionError, which Jazzer reports as a finding) if the input overran either limit. */
    void check(int inputBytes, String what) {
        check(inputBytes, 0, what);
    }

    /** As {@link #check(int, String)}, allowing {@code allowance} more bytes. */
    void check(int inputBytes, long allowance, String what) {
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - startBytes;
        long nanos = System.nanoTime() - startNanos;
        if (CLASSES.getTotalLoadedClassCount() != startClasses) return;
        long ceiling = 4L * inputBytes + slack + allowance;
        if (allocated > ceiling) {
            throw new AssertionError(what + ": a " + inputBytes + "-byte input allocated " + allocated
                    + " bytes, more than " + ceiling);
        }
        if (nanos > MAX_NANOS_PER_INPUT) {
            throw new AssertionError(what + ": a " + inputBytes + "-byte input took " + nanos / 1_000_000 + " ms");
        }
    }
}
