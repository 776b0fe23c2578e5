package io.xmig.dataplane.heat;

import java.util.Locale;

/**
 * Which pages a pre-copy round leaves out of what the last CLEAN reported, so the three variants run through the same
 * pipeline ({@link RoundPlanner}). Immutable.
 */
public enum ResendRule {
    /** Send every page the last CLEAN reported (QEMU's and the plain loop's behaviour). */
    NONE,
    /**
     * Xen's rule: while a round runs, a page that the log-dirty bitmap already shows as dirtied again is skipped; the
     * next CLEAN reports it, so the next round (or the stop-and-copy) sends it.
     */
    XEN_SKIP,
    /** xmig's: the hot cluster ({@link HeatClusters}) is deferred to the stop-and-copy or the post-copy push. */
    CLUSTERING;

    /** As written on the command line: {@code none}, {@code xen-skip}, {@code clustering}. */
    public String spec() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static ResendRule parse(String s) {
        for (ResendRule r : values()) if (r.spec().equalsIgnoreCase(s.trim())) return r;
        throw new IllegalArgumentException("deferral must be none, xen-skip or clustering, not '" + s + "'");
    }
}
