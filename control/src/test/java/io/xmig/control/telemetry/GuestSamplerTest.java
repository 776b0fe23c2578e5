package io.xmig.control.telemetry;

import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.telemetry.TelemetrySample;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The sampler on real simulated guests: the dirty rate it reports is the rate the workload was configured with. */
@Timeout(60)
class GuestSamplerTest {

    private static List<TelemetrySample> sample(String workload, GuestSampler.DirtySource source, int n) throws InterruptedException {
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = hv.simulator().orElseThrow();
            int domid = sim.createDomain(128 * 256, workload, 1);
            try (GuestSampler s = new GuestSampler(hv, domid, source)) {
                List<TelemetrySample> out = new ArrayList<>();
                long start = System.nanoTime();
                for (int i = 1; i <= n; i++) {
                    long wait = start + i * 250_000_000L - System.nanoTime();
                    if (wait > 0) Thread.sleep(wait / 1_000_000L);
                    out.add(s.sample());
                }
                return out;
            } finally {
                sim.destroy(domid);
            }
        }
    }

    private static double median(List<TelemetrySample> s, boolean dirty) {
        double[] v = s.stream().skip(1).mapToDouble(x -> dirty ? x.dirtyPagesPerSecond() : x.cpuUtil()).sorted().toArray();
        return v[v.length / 2];
    }

    @Test
    void aSweepAt5kPagesPerSecondOverALargeWorkingSetSamplesAsAbout5000DirtyPagesPerSecond() throws InterruptedException {
        // 96 MiB = 24,576 pages: at 5,000 pages/s no page is written twice within the 2 s run, so writes = distinct pages
        List<TelemetrySample> s = sample("sweep:rate=5k,ws=96M", GuestSampler.DirtySource.LOG_DIRTY, 8);
        assertThat(s).hasSize(8);
        assertThat(median(s, true)).isCloseTo(5000, within(750.0));
        assertThat(s).allMatch(x -> x.cpuUtil() >= 0 && x.cpuUtil() < 1 && x.hotSetPages() == 0 && x.bandwidthBytesPerSecond() == 0);
        for (int i = 1; i < s.size(); i++) assertThat(s.get(i).tMillis()).isGreaterThan(s.get(i - 1).tMillis());
        assertThat(s.getLast().tMillis()).isCloseTo(2000, within(150L));
    }

    @Test
    void theSimulatorsWrittenPagesRecordGivesTheSameRate() throws InterruptedException {
        List<TelemetrySample> s = sample("sweep:rate=5k,ws=96M", GuestSampler.DirtySource.WRITTEN_PAGES, 6);
        assertThat(median(s, true)).isCloseTo(5000, within(750.0));
    }

    @Test
    void aRandomWriterOnASmallWorkingSetSaturatesAtItsSize() throws InterruptedException {
        // 1 MiB = 256 pages, 40k writes/s: nearly every page is dirtied in every 250 ms interval, so ≈ 256 / 0.25 s
        List<TelemetrySample> s = sample("random:rate=40k,ws=1M", GuestSampler.DirtySource.LOG_DIRTY, 6);
        assertThat(median(s, true)).isCloseTo(1024, within(160.0));
    }

    @Test
    void cpuIsVcpuTimePerWallTimePerVcpu() throws InterruptedException {
        // two vCPUs at util=0.5 each: 1 CPU of 2, i.e. 0.5. The machine is shared, so a wide band.
        List<TelemetrySample> s = sample("cpu:util=0.5,vcpus=2", GuestSampler.DirtySource.LOG_DIRTY, 6);
        assertThat(median(s, false)).isBetween(0.3, 0.7);
        assertThat(median(s, true)).isLessThan(50);
    }
}
