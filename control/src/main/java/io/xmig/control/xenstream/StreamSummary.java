package io.xmig.control.xenstream;

import java.util.List;

/**
 * What {@link XenStreamReader} found in a valid stream. Immutable.
 *
 * @param configJsonBytes   bytes of the xl header's JSON configuration (0 when there is none)
 * @param libxcVersion      2 or 3
 * @param domainType        "x86 HVM" or "x86 PV"
 * @param xenVersion        the sender's Xen, "4.17"
 * @param records           the record sequence, run-length encoded ("libxc:PAGE_DATA x1032")
 * @param passes            PAGE_DATA passes: a new pass starts whenever the pfn order goes backwards
 * @param dataPages         pages that carried data, over all passes
 * @param hvmContextBytes   length of the HVM_CONTEXT record, 0 if absent
 * @param hvmParams         entries of the HVM_PARAMS record, 0 if absent
 * @param streamBytes       bytes up to and including the libxl END record
 * @param trailingBytes     bytes after the libxl END (a tee'd migration also holds the receiver's GO message)
 */
public record StreamSummary(int configJsonBytes, int libxcVersion, String domainType, String xenVersion,
                            List<String> records, List<Pass> passes, long dataPages, int hvmContextBytes,
                            int hvmParams, long streamBytes, long trailingBytes) {

    /**
     * One PAGE_DATA pass.
     *
     * @param records   PAGE_DATA records in the pass
     * @param entries   pfn entries, holes (XTAB) included
     * @param dataPages entries that carried page data
     * @param firstPfn  lowest pfn of the pass
     * @param lastPfn   highest pfn of the pass
     */
    public record Pass(long records, long entries, long dataPages, long firstPfn, long lastPfn) {
    }
}
