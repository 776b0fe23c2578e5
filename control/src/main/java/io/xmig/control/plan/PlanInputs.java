package io.xmig.control.plan;

import io.xmig.control.policy.Forecast;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.pagepath.ZeroPages;

/**
 * What {@link MigrationPlanner} knows before a migration: the guest's size and how many of its pages are zero now
 * (they travel as a flag), the link, the forecast and the measured working set, and the fixed cost of a switch and of
 * a round. Immutable.
 *
 * @param guestPages         the guest's size in pages
 * @param zeroPages          pages that are all zero now
 * @param pageSize           bytes per page
 * @param linkBytesPerSecond the link (the bandwidth cap), bytes/s, more than 0
 * @param forecast           the forecast at the planned start (time 0 = the start)
 * @param overheadSeconds    fixed cost of a switch and of each round
 */
public record PlanInputs(long guestPages, long zeroPages, int pageSize, double linkBytesPerSecond, Forecast forecast,
                         double overheadSeconds) {
    /** Bytes a zero page costs on the wire: a 16-byte run header shared by the zero run, rounded up. */
    static final double ZERO_PAGE_BYTES = 1;
    /** Bytes a data page costs: the page and its share of run and frame headers (1 MiB frames, 512-page runs). */
    static final double DATA_PAGE_OVERHEAD = 0.1;

    public PlanInputs {
        if (guestPages <= 0) throw new IllegalArgumentException("a plan needs a guest with pages");
        if (zeroPages < 0 || zeroPages > guestPages) throw new IllegalArgumentException("zero pages must be 0..guest pages");
        if (!(linkBytesPerSecond > 0)) throw new IllegalArgumentException("a plan needs the link's speed (--bandwidth)");
    }

    /** The same inputs with the forecast as seen {@code seconds} later (a later start). */
    public PlanInputs startingIn(double seconds) {
        return new PlanInputs(guestPages, zeroPages, pageSize, linkBytesPerSecond, forecast.shifted(seconds), overheadSeconds);
    }

    double bytesPerDataPage() {
        return pageSize + DATA_PAGE_OVERHEAD;
    }

    /** Bytes of the full pass: data pages in full, zero pages as flags. */
    double fullPassBytes() {
        return (guestPages - zeroPages) * bytesPerDataPage() + zeroPages * ZERO_PAGE_BYTES;
    }

    /** Counts the all-zero pages of {@code memory} now, mapping it 512 pages at a time (read only). */
    public static long countZeroPages(GuestMemory memory) {
        long zero = 0, pages = memory.pages();
        for (long first = 0; first < pages; first += 512) {
            int n = (int) Math.min(512, pages - first);
            try (PageMapping m = memory.mapRun(first, n, false)) {
                for (int i = 0; i < n; i++) if (ZeroPages.isZero(m.segment(), i)) zero++;
            }
        }
        return zero;
    }
}
