package io.xmig.dataplane.hypervisor;

/**
 * What a CLEAN or PEEK reported ({@code xc_shadow_op_stats_t}): pages dirtied and log-dirty faults taken since the
 * last CLEAN, and the number of pages the bitmap covers.
 */
public record LogDirtyStats(long pagesCovered, long dirtyCount, long faultCount) {
}
