package io.xmig.dataplane.heat;

import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Given a running hotcold guest whose dirty pages the kernel tracks, when its CLEANs feed the page heat and the
 * clusters, then the hot region is found: at least 90 % of its pages are in the hot cluster and at most 5 % of the
 * working set's cold pages.
 */
@Timeout(60)
class HotRegionTest {
    private static final long PAGES = 16384;                       // 64 MiB
    private static final long HOT = 1024, WS = 8192;               // 4 MiB hot, 32 MiB working set

    @Test
    void theHotRegionOfAHotColdGuestIsTheHotCluster() throws Exception {
        try (XenHypervisor hv = XenHypervisor.open(); Arena arena = Arena.ofConfined();
             DirtyBitmap dirty = hv.newDirtyBitmap(PAGES)) {
            GuestSimulator sim = hv.simulator().orElseThrow();
            int d = sim.createDomain(PAGES, "hotcold:rate=40k,ws=32M,hot=4M,hot_share=0.9", 11);
            try {
                DirtyLog log = hv.dirtyLog(d);
                log.enable();
                PageHeat heat = new PageHeat(arena, PAGES);
                HeatClusters clusters = new HeatClusters(arena, PAGES);
                for (int epoch = 0; epoch < 8; epoch++) {
                    Thread.sleep(200);
                    log.clean(dirty, false);
                    heat.observe(dirty);
                    clusters.update(heat, dirty);
                }
                hv.pause(d);
                log.disable();
                long hotFound = 0, coldInHot = 0;
                for (long p = 0; p < WS; p++) {
                    if (!clusters.hot().get(p)) continue;
                    if (p < HOT) hotFound++; else coldInHot++;
                }
                for (long p = WS; p < PAGES; p++) assertThat(clusters.hot().get(p)).as("page %d is never written", p).isFalse();
                assertThat(hotFound).as("hot-region pages in the hot cluster (threshold %d)", clusters.threshold())
                        .isGreaterThanOrEqualTo(HOT * 90 / 100);
                assertThat(coldInHot).as("cold pages in the hot cluster (threshold %d)", clusters.threshold())
                        .isLessThanOrEqualTo((WS - HOT) * 5 / 100);
                assertThat(clusters.hotPages()).isEqualTo(hotFound + coldInHot);
            } finally {
                sim.destroy(d);
            }
        }
    }
}
