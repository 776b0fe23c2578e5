package io.xmig.dataplane.heat;

import io.xmig.dataplane.hypervisor.PageBitmap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.assertj.core.api.Assertions.assertThat;

/** Page heat: frequency and recency per page and per region, from CLEAN bitmaps, aged lazily. */
class PageHeatTest {
    private static final long PAGES = 4096;
    private final Arena arena = Arena.ofConfined();
    private final PageHeat heat = new PageHeat(arena, PAGES);
    private final PageBitmap dirty = PageBitmap.allocate(arena, PAGES);

    @AfterEach
    void free() {
        arena.close();
    }

    private void epoch(long... pfns) {
        dirty.clearAll();
        for (long p : pfns) dirty.set(p);
        heat.observe(dirty);
    }

    @Test
    void aPageWrittenInRoundsOneTwoAndThreeIsHotterThanOneWrittenOnce() {
        epoch(10, 20);          // round 1
        epoch(10);              // round 2
        epoch(10, 30);          // round 3
        assertThat(heat.frequency(10)).isEqualTo(3);
        assertThat(heat.frequency(20)).isEqualTo(1);
        assertThat(heat.frequency(30)).isEqualTo(1);
        assertThat(heat.frequency(10)).isGreaterThan(heat.frequency(20)).isGreaterThan(heat.frequency(40));
        assertThat(heat.recency(10)).isZero();
        assertThat(heat.recency(20)).isEqualTo(2);
        assertThat(heat.recency(40)).isEqualTo(Integer.MAX_VALUE);
        assertThat(heat.history(10)).isEqualTo(0b111);
        assertThat(heat.history(20)).isEqualTo(0b100);
        assertThat(heat.lastObserved()).isEqualTo(2);
    }

    @Test
    void pagesNotWrittenAgeOutOfTheWindowWithoutBeingTouched() {
        epoch(5);
        epoch(5);
        for (int i = 0; i < PageHeat.WINDOW - 2; i++) epoch();
        assertThat(heat.frequency(5)).as("both writes still inside the %d-epoch window", PageHeat.WINDOW).isEqualTo(2);
        epoch();
        assertThat(heat.frequency(5)).isEqualTo(1);
        epoch();
        assertThat(heat.frequency(5)).isZero();
        assertThat(heat.recency(5)).isEqualTo(PageHeat.WINDOW);
        epoch(5);
        assertThat(heat.history(5)).as("a write after a long gap starts a fresh register").isEqualTo(1);
    }

    @Test
    void regionsAndTheWritableWorkingSet() {
        epoch(0, 1, 600);                 // regions 0 and 1
        epoch(2);                         // region 0
        epoch(1500);                      // region 2
        assertThat(heat.regions()).isEqualTo(PAGES / PageHeat.REGION_PAGES);
        assertThat(heat.regionFrequency(0)).isEqualTo(2);
        assertThat(heat.regionFrequency(1)).isEqualTo(1);
        assertThat(heat.regionFrequency(2)).isEqualTo(1);
        assertThat(heat.regionFrequency(3)).isZero();
        assertThat(heat.workingSetPages(1)).isEqualTo(1);
        assertThat(heat.workingSetPages(2)).isEqualTo(2);
        assertThat(heat.workingSetPages(3)).isEqualTo(5);
    }

    @Test
    void theClusterThresholdIsTheTwoMeansSplitOfTheFrequencies() {
        long[] bimodal = new long[PageHeat.WINDOW + 1];
        bimodal[1] = 700;
        bimodal[2] = 300;
        bimodal[8] = 100;
        assertThat(HeatClusters.threshold(bimodal)).as("between the cold mode and the hot one").isBetween(3, 8);
        long[] once = new long[PageHeat.WINDOW + 1];
        once[1] = 500;
        assertThat(HeatClusters.threshold(once)).as("pages written once are never hot").isEqualTo(Integer.MAX_VALUE);
        long[] allRewritten = new long[PageHeat.WINDOW + 1];
        allRewritten[6] = 500;
        assertThat(HeatClusters.threshold(allRewritten)).as("a working set rewritten every epoch is all hot").isEqualTo(6);
        long[] low = new long[PageHeat.WINDOW + 1];
        low[0] = 5;
        low[1] = 500;
        assertThat(HeatClusters.threshold(low)).isGreaterThanOrEqualTo(HeatClusters.MIN_HOT_FREQUENCY);
    }

    @Test
    void theHotClusterDropsPagesThatCoolDown() {
        HeatClusters clusters = new HeatClusters(arena, PAGES);
        for (int e = 0; e < 4; e++) {
            epoch(100, 101, 102, 200 + e, 300 + e);
            clusters.update(heat, dirty);
        }
        assertThat(clusters.hot().get(100)).isTrue();
        assertThat(clusters.hot().get(203)).as("written once").isFalse();
        assertThat(clusters.hotPages()).isEqualTo(3);
        epoch(400);
        clusters.update(heat, dirty);
        assertThat(clusters.hotPages()).as("one epoch without writes: still recent").isEqualTo(3);
        epoch(401);
        clusters.update(heat, dirty);
        assertThat(clusters.hotPages()).as("two epochs without writes: cooled down").isZero();
    }
}
