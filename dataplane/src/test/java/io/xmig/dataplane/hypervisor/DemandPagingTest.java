package io.xmig.dataplane.hypervisor;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A destination domain demand-pages: a vCPU that touches a page that has not arrived blocks in the kernel until the
 * page is installed, and then sees the installed bytes.
 */
@Timeout(120)
class DemandPagingTest {
    private final SimulatedGuests guests = new SimulatedGuests();

    @AfterEach
    void destroy() {
        guests.close();
    }

    @Test
    void aVcpuTouchingAMissingPageBlocksUntilItIsInstalled() throws Exception {
        long pages = 256;
        int src = guests.create(pages, "sweep:rate=2k,ws=256K", 7);      // 64 pages swept in order
        guests.awaitCounters(src, Duration.ofSeconds(5), c -> c.steps() > 100);
        guests.hv.pause(src);
        long stepsAtPause = guests.sim.counters(src).steps();
        long nextPage = stepsAtPause % 64;                               // the page the sweep writes next

        int dst = guests.destination(pages);
        GuestMemory from = guests.hv.memory(src), to = guests.hv.memory(dst);
        for (long p = 0; p < pages; p++) {
            if (p == nextPage) continue;
            try (PageMapping m = from.mapRun(p, 1, false)) {
                to.install(p, 1, m.segment(), InstallMode.OVERWRITE);
            }
        }
        guests.hv.restoreVcpuContext(dst, guests.hv.saveVcpuContext(src));
        guests.hv.unpause(dst);

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment faults = arena.allocate(ValueLayout.JAVA_LONG, 16);
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            int n;
            while ((n = guests.sim.readFaults(dst, faults, 16)) == 0) {
                assertThat(System.nanoTime()).as("no fault reported").isLessThan(end);
                Thread.sleep(1);
            }
            assertThat(n).isEqualTo(1);
            assertThat(faults.getAtIndex(ValueLayout.JAVA_LONG, 0)).isEqualTo(nextPage);
            Thread.sleep(200);
            SimCounters blocked = guests.sim.counters(dst);
            assertThat(blocked.steps()).as("steps while the page is missing").isEqualTo(stepsAtPause);
            assertThat(blocked.faults()).isGreaterThanOrEqualTo(1);

            try (PageMapping m = from.mapRun(nextPage, 1, false)) {
                to.install(nextPage, 1, m.segment(), InstallMode.IF_MISSING);
            }
            SimCounters resumed = guests.awaitCounters(dst, Duration.ofSeconds(5), c -> c.steps() > stepsAtPause + 64);
            assertThat(resumed.maxStallNs()).as("the longest step waited for the page").isGreaterThan(150_000_000L);
            assertThat(guests.sim.readFaults(dst, faults, 16)).as("no more faults once every page is present").isZero();
        }
    }

    /**
     * Pure post-copy of a request-serving guest: the destination starts with no page at all and a Java loop serves its
     * faults from the paused source. Every byte the destination's vCPUs read is the byte the source would have read:
     * the read checksum and the final memory equal those of an uninterrupted run with the same seed.
     */
    @Test
    void aDemandPagedGuestReadsExactlyTheBytesItWouldHaveReadAtHome() throws Exception {
        long pages = 1024;
        String kv = "kv:ws=2M,rps=20k,put=0.3,vcpus=2,steps=4000";
        int home = guests.create(pages, kv, 99);
        int src = guests.create(pages, kv, 99);
        guests.awaitCounters(src, Duration.ofSeconds(30), c -> c.steps() > 1500);
        guests.hv.pause(src);
        assertThat(guests.sim.counters(src).steps()).as("stopped mid-run").isLessThan(4000);
        SimCounters homeDone = guests.awaitCounters(home, Duration.ofSeconds(30), c -> c.state() == SimCounters.State.HALTED);

        int dst = guests.destination(pages);
        guests.hv.restoreVcpuContext(dst, guests.hv.saveVcpuContext(src));
        guests.hv.unpause(dst);
        GuestMemory from = guests.hv.memory(src), to = guests.hv.memory(dst);
        long served = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment faults = arena.allocate(ValueLayout.JAVA_LONG, 64);
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (guests.sim.counters(dst).state() != SimCounters.State.HALTED) {
                assertThat(System.nanoTime()).as("destination never finished").isLessThan(end);
                int n = guests.sim.readFaults(dst, faults, 64);
                for (int i = 0; i < n; i++) {
                    long pfn = faults.getAtIndex(ValueLayout.JAVA_LONG, i);
                    try (PageMapping m = from.mapRun(pfn, 1, false)) {
                        to.install(pfn, 1, m.segment(), InstallMode.IF_MISSING);
                    }
                }
                served += n;
                if (n == 0) Thread.sleep(0, 200_000);
            }
            for (long p = 0; p < pages; p += 64) {                     // the pages never touched
                try (PageMapping m = from.mapRun(p, 64, false)) {
                    to.install(p, 64, m.segment(), InstallMode.IF_MISSING);
                }
            }
        }
        SimCounters dstDone = guests.sim.counters(dst);
        assertThat(served).as("faults served").isGreaterThan(50);
        assertThat(dstDone.faults()).isGreaterThanOrEqualTo(served);
        assertThat(dstDone.requests()).isEqualTo(homeDone.requests()).isEqualTo(8000);
        assertThat(dstDone.readSum()).as("checksum of every word read").isEqualTo(homeDone.readSum());
        assertThat(guests.firstDifferentPage(home, dst)).as("first page that differs from the uninterrupted run").isEqualTo(-1);
    }

    @Test
    void aPageInstalledTwiceKeepsTheNewerContentUnlessTheSecondInstallIsIfMissing() {
        int dst = guests.destination(64);
        GuestMemory to = guests.hv.memory(dst);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment older = arena.allocate(GuestMemory.PAGE_SIZE).fill((byte) 0x11);
            MemorySegment newer = arena.allocate(GuestMemory.PAGE_SIZE).fill((byte) 0x22);
            MemorySegment later = arena.allocate(GuestMemory.PAGE_SIZE).fill((byte) 0x33);
            assertThat(to.install(5, 1, older, InstallMode.OVERWRITE)).isEqualTo(1);
            assertThat(to.install(5, 1, newer, InstallMode.OVERWRITE)).isEqualTo(1);
            try (PageMapping m = to.mapRun(5, 1, false)) {
                assertThat(m.segment().mismatch(newer)).isEqualTo(-1);
            }
            assertThat(to.install(5, 1, later, InstallMode.IF_MISSING)).as("pages written").isZero();
            try (PageMapping m = to.mapRun(5, 1, false)) {
                assertThat(m.segment().mismatch(newer)).isEqualTo(-1);
            }
            assertThat(to.installZero(6, 2, InstallMode.OVERWRITE)).isEqualTo(2);
            try (PageMapping m = to.mapRun(6, 2, false)) {
                assertThat(m.segment().mismatch(arena.allocate(2 * GuestMemory.PAGE_SIZE))).isEqualTo(-1);
            }
            assertThat(guests.sim.counters(dst).pagesPresent()).isEqualTo(3);
        }
    }
}
