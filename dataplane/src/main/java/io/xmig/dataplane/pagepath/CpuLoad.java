package io.xmig.dataplane.pagepath;

import java.lang.management.ManagementFactory;

/**
 * Whether the host has a core to spare, from the OS's recent system-wide CPU load, sampled at most every 100 ms (the
 * MXBean call reads /proc). Any thread; the cached value may be read stale.
 */
final class CpuLoad {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    private static volatile long sampledAt;
    private static volatile boolean free = false;

    static {
        OS.getCpuLoad();                          // the first reading is 0.0 (no interval yet): prime it
    }

    private CpuLoad() {}

    /** True when at least one core's worth of CPU was idle recently. */
    static boolean coreFree() {
        long now = System.nanoTime();
        if (now - sampledAt > 100_000_000L) {
            sampledAt = now;
            double load = OS.getCpuLoad();
            free = load < 0 || (1 - load) * CORES >= 1.0;
        }
        return free;
    }
}
