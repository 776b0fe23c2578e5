package io.xmig.control.policy;

/**
 * What a {@link SwitchPolicy} tells the migration session to do after a pre-copy round. The first three are Xen's
 * {@code XGS_POLICY_CONTINUE_PRECOPY}, {@code XGS_POLICY_STOP_AND_COPY} and {@code XGS_POLICY_ABORT}
 * ({@code tools/include/xenguest.h}); {@link #START_POSTCOPY} is xmig's addition.
 */
public enum Action {
    /** Send the pages the last CLEAN reported as the next round, with the guest still running on the source. */
    CONTINUE_PRECOPY,
    /** Pause the guest, take the final CLEAN, send what is still dirty, resume on the destination. */
    STOP_AND_COPY,
    /** Pause, move the vCPU state, resume on the destination and let it pull the missing pages on demand. */
    START_POSTCOPY,
    /** Give up: the guest keeps running on the source, the destination drops its copy. */
    ABORT
}
