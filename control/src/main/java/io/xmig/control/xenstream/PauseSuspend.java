package io.xmig.control.xenstream;

import io.xmig.dataplane.hypervisor.Hypervisor;

/**
 * Stops the guest with {@code xc_domain_pause}: the guest does not know. Right for the simulator and for a probe that
 * resumes the guest at the source; a PV-aware guest restored elsewhere from such a pause loses its event channels,
 * so {@link XenstoreSuspend} is the one for a real move. Stateless beyond its hypervisor.
 */
public final class PauseSuspend implements GuestSuspend {
    private final Hypervisor hv;

    public PauseSuspend(Hypervisor hv) {
        this.hv = hv;
    }

    @Override
    public void suspend(int domid) {
        hv.pause(domid);
    }

    @Override
    public void resume(int domid) {
        hv.unpause(domid);
    }

    @Override
    public String name() {
        return "pause";
    }
}
