package io.xmig.control.session;

/**
 * Compares the destination's memory with the source's, page by page, while both guests are paused: after the final
 * round has been installed and before the destination resumes. Runs on the session thread.
 */
public interface Verifier {
    /** "direct" (both domains in this process) or "xxh64" (per-page hashes over the control channel). */
    String method();

    /** Compares every page not set in {@code skip} (null: every page). */
    Result verify(long guestPages, io.xmig.dataplane.hypervisor.PageBitmap skip) throws InterruptedException;

    /** Pages compared (skipped ones not counted), pages that differ, the first of them (-1: none). */
    record Result(long pagesChecked, long pagesDiffering, long firstDifferingPage) {}
}
