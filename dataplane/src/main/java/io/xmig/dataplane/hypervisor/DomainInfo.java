package io.xmig.dataplane.hypervisor;

/** One domain as {@code xc_domain_getinfolist} describes it. */
public record DomainInfo(int domid, int flags, long totPages, long maxPages, long cpuTimeNs, int onlineVcpus) {
    public boolean paused() { return (flags & io.xmig.bindings.XenCtrl.XEN_DOMINF_paused) != 0; }
    public boolean running() { return (flags & io.xmig.bindings.XenCtrl.XEN_DOMINF_running) != 0; }
    public boolean hvm() { return (flags & io.xmig.bindings.XenCtrl.XEN_DOMINF_hvm_guest) != 0; }
    public boolean dying() { return (flags & io.xmig.bindings.XenCtrl.XEN_DOMINF_dying) != 0; }
}
