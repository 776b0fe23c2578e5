package io.xmig.control.telemetry;

import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.telemetry.TelemetryCsv;
import io.xmig.predictor.telemetry.TelemetrySample;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Records one trace: creates the simulated guest, samples it every interval for the duration (sleeping to absolute
 * deadlines, so the interval does not drift), writes each row as it comes, destroys the guest. The guest runs in
 * real time: a 60 s trace takes 60 s.
 */
public final class TraceRecorder {
    private TraceRecorder() {
    }

    /**
     * @param workload the spec with any replay path already filled in
     * @param shown    the spec as the CSV's {@code # workload=} line records it (replay path relative to the dataset)
     */
    public static int record(XenHypervisor hv, TraceSpec spec, String workload, String shown, Path csv, long durationMillis,
                             long intervalMillis, GuestSampler.DirtySource source) throws InterruptedException {
        GuestSimulator sim = hv.simulator().orElseThrow(() -> new IllegalStateException("recording traces needs the simulator"));
        int domid = sim.createDomain(spec.memoryMiB() * 256, workload, spec.seed());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("workload", shown);
        meta.put("memory_mib", Long.toString(spec.memoryMiB()));
        meta.put("dirty_source", source.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        spec.parameters().forEach(meta::put);
        int rows = 0;
        try (GuestSampler sampler = new GuestSampler(hv, domid, source);
             TelemetryCsv.Appender out = TelemetryCsv.open(csv, spec.family(), spec.seed(), intervalMillis, meta)) {
            long n = durationMillis / intervalMillis;
            long start = System.nanoTime();
            for (long i = 1; i <= n; i++) {
                long wait = start + i * intervalMillis * 1_000_000L - System.nanoTime();
                if (wait > 0) Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
                TelemetrySample s = sampler.sample();
                out.append(s);
                rows++;
            }
        } finally {
            sim.destroy(domid);
        }
        return rows;
    }
}
