package io.xmig.dataplane.hypervisor;

import io.xmig.dataplane.hypervisor.GuestSimulator.CreateFlag;
import io.xmig.dataplane.hypervisor.GuestSimulator.Tracking;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Log-dirty on a simulated domain means what it means on Xen: CLEAN reports exactly the pages written since the last
 * CLEAN, PEEK reads without clearing, a paused guest writes nothing, and no write racing with CLEAN is lost. Every
 * case runs with the kernel's asynchronous write-protect (PAGEMAP_SCAN) and with the forced synchronous fallback.
 */
@Timeout(120)
class DirtyTrackingTest {
    private static final long PAGES = 16384;                 // 64 MiB
    private final SimulatedGuests guests = new SimulatedGuests();

    @AfterEach
    void destroy() {
        guests.close();
    }

    private int sweepGuest(Tracking tracking, String workload) {
        int d = tracking == Tracking.SYNC_WP
                ? guests.create(PAGES, workload, 42, CreateFlag.SYNC_WP_TRACKING)
                : guests.create(PAGES, workload, 42);
        assertThat(guests.sim.tracking(d)).isEqualTo(tracking);
        return d;
    }

    @ParameterizedTest
    @EnumSource(Tracking.class)
    void cleanReportsExactlyThePagesTheWorkloadWroteInEachInterval(Tracking tracking) throws Exception {
        int d = sweepGuest(tracking, "sweep:rate=40k,ws=48M");
        DirtyLog log = guests.hv.dirtyLog(d);
        try (Arena arena = Arena.ofConfined(); DirtyBitmap dirty = guests.hv.newDirtyBitmap(PAGES)) {
            PageBitmap written = PageBitmap.allocate(arena, PAGES);
            guests.hv.pause(d);
            log.enable();
            guests.sim.writtenPages(d, written, true);           // start both records at the same instant
            long total = 0;
            for (int round = 0; round < 50; round++) {
                guests.hv.unpause(d);
                Thread.sleep(10);
                guests.hv.pause(d);
                LogDirtyStats stats = log.clean(dirty, false);
                long wrote = guests.sim.writtenPages(d, written, true);
                assertThat(dirty.firstDifference(written)).as("round %d: first page where CLEAN and the workload disagree", round)
                        .isEqualTo(-1);
                assertThat(dirty.cardinality()).isEqualTo(wrote).isEqualTo(stats.dirtyCount());
                assertThat(stats.pagesCovered()).isEqualTo(PAGES);
                total += wrote;
            }
            assertThat(total).as("pages written over 50 rounds").isGreaterThan(50 * 100);
        }
    }

    @ParameterizedTest
    @EnumSource(Tracking.class)
    void peekTwiceGivesTheSameBitmapAndClearsNothing(Tracking tracking) throws Exception {
        int d = sweepGuest(tracking, "random:rate=50k");
        DirtyLog log = guests.hv.dirtyLog(d);
        try (DirtyBitmap a = guests.hv.newDirtyBitmap(PAGES); DirtyBitmap b = guests.hv.newDirtyBitmap(PAGES)) {
            log.enable();
            Thread.sleep(50);
            guests.hv.pause(d);
            log.peek(a);
            log.peek(b);
            assertThat(a.cardinality()).isGreaterThan(100);
            assertThat(a.sameBits(b)).isTrue();
            log.clean(b, true);
            assertThat(b.sameBits(a)).as("CLEAN after PEEK reports what PEEK saw").isTrue();
            log.peek(b);
            assertThat(b.cardinality()).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Tracking.class)
    void aPausedGuestWritesNothingAndResumesAfterUnpause(Tracking tracking) throws Exception {
        int d = sweepGuest(tracking, "sweep:rate=100k,vcpus=2");
        DirtyLog log = guests.hv.dirtyLog(d);
        try (DirtyBitmap dirty = guests.hv.newDirtyBitmap(PAGES)) {
            log.enable();
            Thread.sleep(20);
            guests.hv.pause(d);
            assertThat(guests.hv.domain(d).paused()).isTrue();
            log.clean(dirty, false);
            long writes = guests.sim.counters(d).writes();
            Thread.sleep(100);
            log.clean(dirty, true);
            assertThat(dirty.cardinality()).as("pages dirtied while paused").isZero();
            assertThat(guests.sim.counters(d).writes()).isEqualTo(writes);

            guests.hv.unpause(d);
            guests.awaitCounters(d, Duration.ofSeconds(5), c -> c.writes() > writes + 1000);
            guests.hv.pause(d);
            log.clean(dirty, false);
            assertThat(dirty.cardinality()).as("pages dirtied after unpause").isGreaterThan(0);
            log.disable();
        }
    }

    /**
     * The pre-copy invariant: copy every page once, then each round copy what CLEAN reports while the guest keeps
     * writing; after a final CLEAN with the guest paused, the copy equals the guest's memory page by page.
     */
    @ParameterizedTest
    @EnumSource(Tracking.class)
    void noWriteRacingWithCleanIsLost(Tracking tracking) throws Exception {
        int d = sweepGuest(tracking, "random:rate=300k,vcpus=2,fill=4096");
        GuestMemory mem = guests.hv.memory(d);
        DirtyLog log = guests.hv.dirtyLog(d);
        try (Arena arena = Arena.ofConfined(); DirtyBitmap dirty = guests.hv.newDirtyBitmap(PAGES)) {
            MemorySegment copy = arena.allocate(PAGES * GuestMemory.PAGE_SIZE, GuestMemory.PAGE_SIZE);
            log.enable();
            copyPages(mem, copy, 0, PAGES);
            long resent = 0;
            // At least 30 rounds, and on until the guest has raced with CLEAN a good while (a busy machine may
            // starve the vCPUs for a moment; the property needs writes during the rounds, not a number of them).
            long deadline = System.nanoTime() + 20_000_000_000L;
            for (int round = 0; round < 30 || (resent < 5_000 && System.nanoTime() < deadline); round++) {
                log.clean(dirty, false);
                for (long p = dirty.nextSetBit(0); p >= 0; ) {
                    long end = Math.min(dirty.nextClearBit(p), p + 1024);
                    copyPages(mem, copy, p, end - p);
                    resent += end - p;
                    p = dirty.nextSetBit(end);
                }
            }
            guests.hv.pause(d);
            log.clean(dirty, true);
            for (long p = dirty.nextSetBit(0); p >= 0; p = dirty.nextSetBit(p + 1)) copyPages(mem, copy, p, 1);
            assertThat(resent).as("pages re-copied while the guest ran").isGreaterThan(1000);
            assertThat(guests.differingPages(d, copy)).as("pages that differ from the guest after the final pass").isZero();
        }
    }

    private static void copyPages(GuestMemory mem, MemorySegment copy, long first, long count) {
        for (long p = first; p < first + count; p += 1024) {
            int n = (int) Math.min(1024, first + count - p);
            try (PageMapping m = mem.mapRun(p, n, false)) {
                MemorySegment.copy(m.segment(), 0, copy, p * GuestMemory.PAGE_SIZE, (long) n * GuestMemory.PAGE_SIZE);
            }
        }
    }
}
