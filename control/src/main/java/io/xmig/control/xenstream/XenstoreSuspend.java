package io.xmig.control.xenstream;

import io.xmig.bindings.XenCtrl;
import io.xmig.dataplane.hypervisor.DomainInfo;
import io.xmig.dataplane.hypervisor.Hypervisor;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The cooperative suspend libxl uses for a PV-aware guest ({@code libxl_dom_suspend.c}): write {@code suspend} to the
 * guest's {@code control/shutdown} xenstore node (with the {@code xenstore-write} tool of xen-utils) and wait until
 * the domain has shut down with reason {@code SHUTDOWN_suspend}. The guest then resumes on the destination knowing it
 * moved, and re-establishes its event channels and shared info. {@link #resume} is {@code xc_domain_resume(fast)}:
 * the guest sees the suspend cancelled. Used by the sender's thread only.
 */
public final class XenstoreSuspend implements GuestSuspend {
    /** {@code SHUTDOWN_suspend} of {@code <xen/sched.h>}. */
    static final int SHUTDOWN_SUSPEND = 2;

    private final Hypervisor hv;
    private final Duration timeout;

    public XenstoreSuspend(Hypervisor hv, Duration timeout) {
        this.hv = hv;
        this.timeout = timeout;
    }

    @Override
    public void suspend(int domid) throws IOException {
        XlToolstack.run(List.of("xenstore-write", "/local/domain/" + domid + "/control/shutdown", "suspend"));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            DomainInfo d = hv.domain(domid);
            int reason = (d.flags() >>> XenCtrl.XEN_DOMINF_shutdownshift) & XenCtrl.XEN_DOMINF_shutdownmask;
            if ((d.flags() & XenCtrl.XEN_DOMINF_shutdown) != 0) {
                if (reason == SHUTDOWN_SUSPEND) return;
                throw new IOException("domain " + domid + " shut down with reason " + reason + " instead of suspending");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted waiting for domain " + domid + " to suspend", e);
            }
        }
        throw new IOException("domain " + domid + " did not suspend within " + timeout.toMillis()
                + " ms of the xenstore request (is it PV-aware, with xenbus up?)");
    }

    @Override
    public void resume(int domid) {
        hv.resumeSuspended(domid);
    }

    @Override
    public String name() {
        return "xenstore-suspend";
    }
}
