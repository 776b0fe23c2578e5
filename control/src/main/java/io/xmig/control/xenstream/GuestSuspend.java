package io.xmig.control.xenstream;

/**
 * How the sender stops the guest for the final copy and, if the migration fails after that, lets it run on at the
 * source. A PV-aware Linux guest must be suspended cooperatively ({@link XenstoreSuspend}) so that it rebinds its
 * event channels on the destination; a guest that is only compared, not moved, can simply be paused
 * ({@link PauseSuspend}). Called on the sender's thread.
 */
public interface GuestSuspend {

    /** Stops the guest; when this returns the guest writes nothing more. */
    void suspend(int domid) throws java.io.IOException;

    /** Lets a guest stopped by {@link #suspend} run on at the source. */
    void resume(int domid);

    /** For the report: "pause" or "xenstore-suspend". */
    String name();
}
