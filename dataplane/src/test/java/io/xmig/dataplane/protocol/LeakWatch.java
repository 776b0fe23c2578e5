package io.xmig.dataplane.protocol;

import io.netty.buffer.AbstractByteBuf;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Makes Netty's leak detector fail tests instead of only logging: listens to the ByteBuf leak detector (PARANOID,
 * as the parent pom sets it; forced here for IDE runs) and, in {@link #assertNoLeaks()}, collects garbage and
 * allocates until the detector has looked at every buffer the collector freed. A buffer leaked by a test shows as a
 * failure of that test class. Shared by the protocol tests, which surefire runs one class at a time, and by the
 * control module's migration tests (through this module's test jar).
 */
public final class LeakWatch {
    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        try {
            Field f = AbstractByteBuf.class.getDeclaredField("leakDetector");
            f.setAccessible(true);
            ResourceLeakDetector<?> detector = (ResourceLeakDetector<?>) f.get(null);
            detector.setLeakListener((type, records) -> LEAKS.add(type + ": " + records));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private LeakWatch() {}

    /** Leaks the detector has reported since the last call, after giving it the chance to see every dead buffer. */
    public static List<String> drain(int rounds) {
        for (int i = 0; i < rounds; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // The detector reports on its next track(): allocate (and release) to trigger it.
            for (int k = 0; k < 16; k++) {
                ByteBuf b = k % 2 == 0 ? ByteBufAllocator.DEFAULT.directBuffer(8) : ByteBufAllocator.DEFAULT.heapBuffer(8);
                b.release();
            }
        }
        List<String> seen = new ArrayList<>(LEAKS);
        LEAKS.clear();
        return seen;
    }

    /**
     * No buffer touched by this package's code has leaked. Leaks whose records never mention this package (another
     * package's tests in the same JVM) are not this package's to report.
     */
    public static void assertNoLeaks() {
        assertNoLeaks(LeakWatch.class.getPackageName() + ".");
    }

    /** No buffer whose leak records mention {@code packagePrefix} has leaked (for other modules' tests). */
    public static void assertNoLeaks(String packagePrefix) {
        assertThat(drain(3)).filteredOn(leak -> leak.contains(packagePrefix))
                .as("ByteBufs leaked (Netty's leak detector at PARANOID)").isEmpty();
    }
}
