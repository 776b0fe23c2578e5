package io.xmig.control.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes and rates as people write them: {@code 1G}, {@code 256M}, {@code 100MiB}, {@code 1.5GB}, {@code 10k}; binary
 * units. And durations: ISO-8601's time part without "PT", e.g. {@code 30s}, {@code 10m}, {@code 0.25s}.
 */
final class Sizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b?)(?:/s)?", Pattern.CASE_INSENSITIVE);

    private Sizes() {}

    /** {@code 30s}, {@code 10m}, {@code 1.5s} (ISO-8601's time part without "PT"); a clear error naming {@code option}. */
    static java.time.Duration duration(String option, String text) {
        try {
            return java.time.Duration.parse("PT" + text.strip().toUpperCase(Locale.ROOT));
        } catch (java.time.format.DateTimeParseException e) {
            throw new IllegalArgumentException(option + " takes a duration such as 30s or 10m, not '" + text + "'");
        }
    }

    /** Bytes; K/M/G/T are powers of 1024, with or without "iB"/"B" and a trailing "/s". */
    static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) throw new IllegalArgumentException("not a size: '" + text + "' (examples: 1G, 256M, 100MiB)");
        double v = Double.parseDouble(m.group(1));
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        double bytes = v * (1L << shift);
        if (bytes > Long.MAX_VALUE / 2) throw new IllegalArgumentException("size too large: " + text);
        return (long) bytes;
    }
}
