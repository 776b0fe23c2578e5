package io.xmig.bindings;

import java.io.Serial;

/**
 * No hypervisor to talk to: the Xen libraries or the simulator library cannot be loaded, or the Xen control
 * interface cannot be opened (no {@code /dev/xen/privcmd}: not a Xen dom0, or not root). The message says
 * what was tried and how to run on the simulator instead.
 */
public final class HypervisorUnavailableException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** How to get a working hypervisor without Xen; every message ends with it. */
    static final String USE_SIMULATOR = "To run without Xen use the guest simulator: -D"
            + XenLibraries.HYPERVISOR_PROPERTY + "=sim (the default), with " + XenLibraries.SIM_LIBRARY_NAME
            + " built by `mvn -pl native compile` or ./setup.sh.";

    private final int errno;

    public HypervisorUnavailableException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** The errno of the failed call, or 0 when the failure was not a C call (a library that cannot be loaded). */
    public int errno() {
        return errno;
    }
}
