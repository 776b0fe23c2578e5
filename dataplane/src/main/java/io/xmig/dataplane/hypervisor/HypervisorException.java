package io.xmig.dataplane.hypervisor;

import io.xmig.bindings.Errno;

/** A hypervisor call failed: names the call, the domain and the errno, and any detail the library gave. */
public class HypervisorException extends RuntimeException {
    private final String call;
    private final int domid;
    private final int errno;

    public HypervisorException(String call, int domid, int errno, String detail) {
        super(call + (domid >= 0 ? " on domain " + domid : "") + " failed: " + Errno.name(errno)
                + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
        this.call = call;
        this.domid = domid;
        this.errno = errno;
    }

    public String call() { return call; }
    public int domid() { return domid; }
    public int errno() { return errno; }
}
