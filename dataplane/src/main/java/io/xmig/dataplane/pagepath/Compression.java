package io.xmig.dataplane.pagepath;

import java.util.Locale;

/**
 * Whether the senders compress PAGES frames (as PAGES_LZ4): never, always, or {@link #AUTO}: only while the link is
 * the bottleneck, a core is free, and the measured ratio and speed say a compressed frame reaches the destination
 * sooner than a plain one ({@link FrameCompressor}). Immutable.
 */
public enum Compression {
    OFF, ON, AUTO;

    /** As written on the command line: {@code off}, {@code on}, {@code auto}. */
    public String spec() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Compression parse(String s) {
        for (Compression c : values()) if (c.spec().equalsIgnoreCase(s.trim())) return c;
        throw new IllegalArgumentException("compression must be off, on or auto, not '" + s + "'");
    }
}
