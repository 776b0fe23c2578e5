package io.xmig.control.telemetry;

import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.telemetry.TelemetrySample;

import java.lang.foreign.Arena;

/**
 * Reads a running simulated guest's telemetry, one {@link TelemetrySample} per {@link #sample()} call
 * (docs/FORECAST.md, "Where the numbers come from"). The guest is never paused.
 *
 * <ul>
 *   <li><b>Dirty pages</b>: by default from log-dirty, as pre-copy sees them. Log-dirty is enabled when the sampler
 *       opens and each sample is one CLEAN of the running guest: the distinct pages written since the previous
 *       sample, divided by the wall time between the two CLEANs. A page written twice in an interval counts once, as
 *       it is sent once. {@link DirtySource#WRITTEN_PAGES} reads the simulator's own written-pages record instead,
 *       for when a migration owns log-dirty (Xen refuses a second ENABLE).</li>
 *   <li><b>CPU</b>: the increase of {@link SimCounters#cpuNs()} (CPU time of the vCPU threads) divided by the wall
 *       time and by the number of vCPUs.</li>
 * </ul>
 * <li><b>Working set</b> ({@code hot_set_pages} of the sample), when a window is asked for: the distinct pages
 *     written over the last {@code windowSamples} intervals ({@link WorkingSetWindow}); 0 otherwise.</li>
 * Bandwidth is 0: the sampler does not see a migration. Used by one thread.
 */
public final class GuestSampler implements AutoCloseable {
    /** Where the dirty-page count of a sample comes from. */
    public enum DirtySource {
        /** One log-dirty CLEAN per sample (the default): works on Xen too. */
        LOG_DIRTY,
        /** The simulator's written-pages record, cleared per sample: the simulator only. */
        WRITTEN_PAGES
    }

    private final XenHypervisor hv;
    private final GuestSimulator sim;
    private final int domid;
    private final DirtySource source;
    private final DirtyLog log;
    private final DirtyBitmap bitmap;
    private final Arena arena;
    private final PageBitmap written;
    private final int vcpus;
    private final WorkingSetWindow window;
    private long lastWall, lastCpu, start;
    private boolean closed;

    public GuestSampler(XenHypervisor hv, int domid, DirtySource source) {
        this(hv, domid, source, 0);
    }

    /**
     * @param windowSamples intervals over which the working set is measured (e.g. 40 × 250 ms = 10 s); 0 = not measured
     */
    public GuestSampler(XenHypervisor hv, int domid, DirtySource source, int windowSamples) {
        this.hv = hv;
        this.sim = hv.simulator().orElseThrow(() -> new IllegalStateException("the telemetry sampler needs the simulator's CPU counters"));
        this.domid = domid;
        this.source = source;
        long pages = hv.guestPages(domid);
        this.bitmap = hv.newDirtyBitmap(pages);
        this.arena = Arena.ofShared();
        this.written = source == DirtySource.WRITTEN_PAGES ? PageBitmap.allocate(arena, pages) : null;
        this.window = windowSamples > 0 ? new WorkingSetWindow(arena, pages, windowSamples) : null;
        this.log = hv.dirtyLog(domid);
        try {
            if (source == DirtySource.LOG_DIRTY) {
                log.enable();
                log.clean(bitmap, false);            // start the first interval now
            } else {
                sim.writtenPages(domid, written, true);
            }
        } catch (RuntimeException e) {
            bitmap.close();
            arena.close();
            throw e;
        }
        SimCounters c = sim.counters(domid);
        this.vcpus = Math.max(1, c.vcpus());
        this.lastCpu = c.cpuNs();
        this.start = this.lastWall = System.nanoTime();
    }

    public GuestSampler(XenHypervisor hv, int domid) {
        this(hv, domid, DirtySource.LOG_DIRTY);
    }

    public DirtySource source() {
        return source;
    }

    /** The sample of the interval since the previous call (or since the sampler opened). */
    public TelemetrySample sample() {
        long now = System.nanoTime();
        long dirty = source == DirtySource.LOG_DIRTY ? log.clean(bitmap, false).dirtyCount()
                : sim.writtenPages(domid, written, true);
        long cpu = sim.counters(domid).cpuNs();
        double wallNs = Math.max(1, now - lastWall);
        double rate = dirty / (wallNs / 1e9);
        double util = Math.max(0, (cpu - lastCpu) / wallNs / vcpus);
        lastWall = now;
        lastCpu = cpu;
        long workingSet = window == null ? 0 : window.add(source == DirtySource.LOG_DIRTY ? bitmap : written);
        // rounded to 0.1 page/s and 1e-5 of a CPU: far below the noise, and it keeps the CSV short
        return new TelemetrySample(Math.round((now - start) / 1e6), Math.round(rate * 10) / 10.0, Math.round(util * 1e5) / 1e5,
                workingSet, 0);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            if (source == DirtySource.LOG_DIRTY) log.disable();
        } finally {
            bitmap.close();
            arena.close();
        }
    }
}
