package io.xmig.control.policy;

import java.util.List;

/**
 * The geometric pre-copy model the predictive policy and {@code xmig plan} use (docs/POLICIES.md, "predictive"): what
 * one more round, a stop-and-copy or a post-copy would cost, given the dirty set now, the link, the guest's writable
 * working set and a forecast of its dirty-page rate.
 * <ul>
 *   <li>A round that sends {@code D} pages lasts {@code T = D / B} (B: link in pages/s) plus a fixed per-round cost.</li>
 *   <li>While it runs the guest writes {@code n = ∫ r(t) dt} pages by the forecast rate {@code r}; they fall on a
 *       working set of {@code W} pages, so the distinct pages dirtied are {@code W (1 − e^(−n/W))} (uniform writes;
 *       a sequential writer reaches {@code min(n, W)}, which this bounds from below by at most 37 %). The next round
 *       sends those. With a flat rate below the link and no saturation this is the classic geometric series
 *       {@code D_k = D_0 (r/B)^k}. With {@code sequential} the bound {@code min(n, W)} is used instead: a writer that
 *       sweeps its working set dirties a new page with every write until it has touched them all (the predictive
 *       policy switches to it once a round failed to converge: the evidence that the guest writes that way).</li>
 *   <li>Stop-and-copy after {@code k} more rounds: downtime {@code D_k / B + overhead}, no remote faults.</li>
 *   <li>Post-copy after {@code k} more rounds: downtime {@code overhead}; the push of the {@code D_k} missing pages lasts
 *       {@code T_p = D_k / B}; a missing page is pushed at a uniform time in {@code [0, T_p]} and is touched before that
 *       with probability {@code 1 − e^(−r u / W)}, so the expected remote faults are
 *       {@code min(D_k, W) (1 − (1 − e^(−x)) / x)} with {@code x = r T_p / W}. Only writes are modelled: a guest that
 *       mostly reads its missing pages faults more than this says.</li>
 * </ul>
 * Immutable; pure arithmetic.
 *
 * @param forecast        the dirty-rate forecast, time 0 = now
 * @param workingSetPages W, at least 1
 * @param linkPagesPerS   B, pages per second the link carries, more than 0
 * @param bytesPerPage    bytes on the wire per non-zero page (page plus its share of the frame header)
 * @param overheadSeconds fixed cost of a switch (and of each round: CLEAN, the last acknowledgement)
 * @param guestPages      the guest's size: no dirty set grows beyond it
 * @param sequential      distinct pages dirtied as {@code min(n, W)} instead of {@code W (1 − e^(−n/W))}
 */
public record PrecopyModel(Forecast forecast, double workingSetPages, double linkPagesPerS, double bytesPerPage,
                           double overheadSeconds, long guestPages, boolean sequential) {

    public PrecopyModel {
        if (!(workingSetPages >= 1)) throw new IllegalArgumentException("working set must be >= 1 page");
        if (!(linkPagesPerS > 0)) throw new IllegalArgumentException("link must carry > 0 pages/s");
    }

    /** One projected point: after {@code rounds} more rounds, {@code dirtyPages} are dirty at {@code seconds} from now,
     *  having sent {@code bytes} in those rounds. */
    public record Point(int rounds, double dirtyPages, double seconds, double bytes) {}

    /** The uniform-writes model. */
    public PrecopyModel(Forecast forecast, double workingSetPages, double linkPagesPerS, double bytesPerPage,
                        double overheadSeconds, long guestPages) {
        this(forecast, workingSetPages, linkPagesPerS, bytesPerPage, overheadSeconds, guestPages, false);
    }

    /** Distinct pages the guest dirties from {@code start} for {@code duration} seconds. */
    public double dirtied(double start, double duration) {
        double n = forecast.writesBetween(start, start + duration);
        double distinct = sequential ? Math.min(n, workingSetPages) : workingSetPages * -Math.expm1(-n / workingSetPages);
        return Math.min(guestPages, distinct);
    }

    /** Seconds a round (or final copy) of {@code pages} pages takes on the link. */
    public double sendSeconds(double pages) {
        return pages / linkPagesPerS;
    }

    /** The dirty set now and after each of up to {@code rounds} more rounds; stops early past {@code maxSeconds}. */
    public List<Point> project(double dirtyNow, int rounds, double maxSeconds) {
        List<Point> out = new java.util.ArrayList<>();
        double d = dirtyNow, t = 0, bytes = 0;
        out.add(new Point(0, d, 0, 0));
        for (int k = 1; k <= rounds && t < maxSeconds; k++) {
            double roundSeconds = sendSeconds(d) + overheadSeconds;
            double next = dirtied(t, roundSeconds);
            bytes += d * bytesPerPage;
            t += roundSeconds;
            d = next;
            out.add(new Point(k, d, t, bytes));
        }
        return out;
    }

    /** Stop-and-copy at {@code p}. */
    public Estimate stopAndCopy(Point p, double limitSeconds) {
        double downtime = sendSeconds(p.dirtyPages()) + overheadSeconds;
        return new Estimate(Action.STOP_AND_COPY, p.rounds(), downtime * 1e3, Math.round(p.bytes() + p.dirtyPages() * bytesPerPage),
                (p.seconds() + downtime) * 1e3, 0, downtime <= limitSeconds);
    }

    /** Post-copy at {@code p}. */
    public Estimate postcopy(Point p, double limitSeconds) {
        double push = sendSeconds(p.dirtyPages());
        return new Estimate(Action.START_POSTCOPY, p.rounds(), overheadSeconds * 1e3,
                Math.round(p.bytes() + p.dirtyPages() * bytesPerPage), (p.seconds() + overheadSeconds + push) * 1e3,
                remoteFaults(p.dirtyPages(), p.seconds(), push), overheadSeconds <= limitSeconds);
    }

    /** Expected faults when {@code missing} pages are pushed over {@code push} seconds starting {@code start} from now. */
    public double remoteFaults(double missing, double start, double push) {
        if (missing <= 0) return 0;
        double touched = Math.min(missing, workingSetPages);
        if (push <= 0) return 0;
        double x = forecast.writesBetween(start, start + push) / workingSetPages;
        if (x < 1e-9) return touched * x / 2;
        return touched * (1 + Math.expm1(-x) / x);
    }

    /**
     * The link as the rounds so far measured it: all their bytes over all their time (round 0, the full pass, weighs
     * most, as it should: short rounds are dominated by latency), in bytes per second; 0 when nothing was measured.
     */
    public static double linkBytesPerSecond(List<RoundStats> history) {
        long bytes = 0, nanos = 0;
        for (RoundStats r : history) {
            bytes += r.bytesSent();
            nanos += r.roundNanos();
        }
        return RoundStats.bytesPerSecond(bytes, nanos);
    }

    /** Bytes per non-zero page as the rounds so far sent them (page plus header share); the page size before any. */
    public static double bytesPerDataPage(List<RoundStats> history, int pageSize) {
        long bytes = 0, data = 0;
        for (RoundStats r : history) {
            bytes += r.bytesSent();
            data += r.pagesSent() - r.zeroPages();
        }
        return data > 0 ? Math.max(pageSize, (double) bytes / data) : pageSize;
    }

    /**
     * W: the largest of the forecast's measured working set, the clusterer's hot set and the largest dirty set a CLEAN
     * reported so far (each a lower bound of the pages the guest writes); at least 1.
     */
    public static double workingSet(RoundStats latest, List<RoundStats> history, Forecast forecast) {
        long w = Math.max(forecast.workingSetPages(), latest.hotSetPages());
        for (RoundStats r : history) w = Math.max(w, r.pagesDirtied());
        return Math.max(1, w);
    }
}
