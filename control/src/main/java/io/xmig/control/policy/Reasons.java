package io.xmig.control.policy;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/** Number formats for decision reasons (locale-independent), and the check every policy makes on its arguments. */
final class Reasons {
    private Reasons() {
    }

    /** 8192 → "8,192". */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    /** Nanoseconds as milliseconds: "287.4 ms". */
    static String millis(double nanos) {
        return String.format(Locale.ROOT, "%,.1f ms", nanos / 1e6);
    }

    /** Bytes per second, exact and in MiB/s: "52,428,800 B/s (50.0 MiB/s)". */
    static String rate(double bytesPerSecond) {
        return String.format(Locale.ROOT, "%,.0f B/s (%,.1f MiB/s)", bytesPerSecond, bytesPerSecond / 1048576.0);
    }

    /** The contract's promise about {@link SwitchPolicy#atStart}'s arguments. */
    static void checkStart(long guestPages, int pageSize) {
        if (guestPages < 0) throw new IllegalArgumentException("guestPages must be >= 0, not " + guestPages);
        if (pageSize <= 0) throw new IllegalArgumentException("pageSize must be > 0, not " + pageSize);
    }

    /** Bytes in binary units, one decimal: "1.0 GiB", "512.0 MiB". */
    static String size(double bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        while (bytes >= 1024 && u < units.length - 1) {
            bytes /= 1024;
            u++;
        }
        return u == 0 ? String.format(Locale.ROOT, "%,.0f bytes", bytes) : String.format(Locale.ROOT, "%,.1f %s", bytes, units[u]);
    }

    /**
     * The contract's promise about {@code history}: every round so far, oldest first, {@code latest} last. Returns
     * the round before {@code latest}, or null for round 0.
     */
    static RoundStats previous(RoundStats latest, List<RoundStats> history) {
        Objects.requireNonNull(latest, "latest");
        Objects.requireNonNull(history, "history");
        if (history.size() != latest.round() + 1 || history.getLast().round() != latest.round()) {
            throw new IllegalArgumentException("history must hold every round so far, oldest first, latest included: "
                    + history.size() + " entries for round " + latest.round());
        }
        return latest.round() == 0 ? null : history.get(history.size() - 2);
    }
}
