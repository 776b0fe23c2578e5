package io.xmig.control.xenstream;

import java.lang.foreign.MemorySegment;

/**
 * Sees every page the sender puts in the stream, as it goes (called on the sender's thread, the page valid only
 * during the call). The probe's {@link PageImage} uses it to keep the destination image xmig would have built.
 */
@FunctionalInterface
public interface PageObserver {
    void pageSent(long pfn, MemorySegment page);
}
