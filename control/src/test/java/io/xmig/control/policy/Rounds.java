package io.xmig.control.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builds the histories a session would hand a policy: round r sends what round r-1's CLEAN reported. */
final class Rounds {
    static final int PAGE = 4096;

    private Rounds() {
    }

    /** Rounds 0..n-1 of a guest of {@code guestPages}, the CLEAN after round r reporting {@code dirtied[r]}. */
    static List<RoundStats> history(long guestPages, long... dirtied) {
        List<RoundStats> h = new ArrayList<>();
        long elapsed = 0;
        for (int r = 0; r < dirtied.length; r++) {
            long pages = r == 0 ? guestPages : dirtied[r - 1];
            long bytes = pages * PAGE;
            long nanos = 1_000_000_000L;   // one second per round: bandwidth = bytes/s
            elapsed += nanos;
            h.add(new RoundStats(r, pages, 0, bytes, dirtied[r], nanos, elapsed, RoundStats.bytesPerSecond(bytes, nanos),
                    dirtied[r] * PAGE, guestPages, PAGE, 0, Optional.empty()));
        }
        return List.copyOf(h);
    }

    /** One round with the given measured bytes, duration and dirty count; history = rounds 0..round with this last. */
    static List<RoundStats> withLatest(int round, long bytesSent, long roundNanos, long pagesDirtied) {
        List<RoundStats> h = new ArrayList<>(history(1L << 20, new long[round]).stream()
                .map(s -> s.pagesDirtied() == 0 ? with(s, 1000) : s).toList());
        h.add(new RoundStats(round, bytesSent / PAGE, 0, bytesSent, pagesDirtied, roundNanos, (round + 1) * 1_000_000_000L,
                RoundStats.bytesPerSecond(bytesSent, roundNanos), pagesDirtied * PAGE, 1L << 20, PAGE, 0, Optional.empty()));
        return List.copyOf(h);
    }

    private static RoundStats with(RoundStats s, long pagesDirtied) {
        return new RoundStats(s.round(), s.pagesSent(), s.zeroPages(), s.bytesSent(), pagesDirtied, s.roundNanos(),
                s.elapsedNanos(), s.bandwidthBytesPerSecond(), pagesDirtied * PAGE, s.guestPages(), s.pageSize(),
                s.hotSetPages(), s.forecast());
    }

    static Decision decide(SwitchPolicy p, List<RoundStats> h) {
        return p.decide(h.getLast(), h);
    }
}
