package io.xmig.dataplane.hypervisor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * A destination's queue of demand faults, waited on the way a service thread should: {@code poll(2)} on the
 * simulator's fault eventfd (a dup this object owns and closes), then a read of up to N faulting page numbers. A
 * destroyed domain wakes the poll and ends the queue with {@link HypervisorException} (ESRCH).
 *
 * <p>One thread uses a queue (the destination's fault pump); it allocates nothing per fault.
 */
public final class FaultQueue implements AutoCloseable {
    private static final short POLLIN = 1;
    private static final MethodHandle POLL, CLOSE;

    static {
        Linker linker = Linker.nativeLinker();
        POLL = linker.downcallHandle(linker.defaultLookup().find("poll").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        CLOSE = linker.downcallHandle(linker.defaultLookup().find("close").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    private final GuestSimulator sim;
    private final int domid;
    private final int fd;
    private final Arena arena = Arena.ofShared();      // made on one thread, used by the pump thread
    private final MemorySegment pollfd = arena.allocate(8, 4);
    private final MemorySegment pfns = arena.allocate(ValueLayout.JAVA_LONG, 256);
    private boolean closed;

    FaultQueue(GuestSimulator sim, int domid, int fd) {
        this.sim = sim;
        this.domid = domid;
        this.fd = fd;
        pollfd.set(ValueLayout.JAVA_INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
    }

    /**
     * Waits up to {@code timeoutMillis} for faults and copies up to {@code max} (at most 256) faulting page numbers into
     * {@code into}; returns how many (0 on timeout).
     */
    public int await(long[] into, int max, int timeoutMillis) {
        int n = sim.readFaults(domid, pfns, Math.min(max, 256));
        if (n == 0) {
            pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
            try {
                int r = (int) POLL.invokeExact(pollfd, 1L, timeoutMillis);
                if (r < 0) throw new IllegalStateException("poll on the fault queue of domain " + domid + " failed");
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            n = sim.readFaults(domid, pfns, Math.min(max, 256));
        }
        for (int i = 0; i < n; i++) into[i] = pfns.getAtIndex(ValueLayout.JAVA_LONG, i);
        return n;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // closing an eventfd cannot fail in a way we could act on
        }
        arena.close();
    }
}
