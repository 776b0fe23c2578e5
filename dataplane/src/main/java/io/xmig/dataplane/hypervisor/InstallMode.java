package io.xmig.dataplane.hypervisor;

/** What installing a page that is already present on the destination does. */
public enum InstallMode {
    /** Replace it: pre-copy, where the destination guest is not running and the newer round wins. */
    OVERWRITE,
    /** Keep it: post-copy, where the running destination guest may have written it since it arrived. */
    IF_MISSING
}
