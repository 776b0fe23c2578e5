package io.xmig.dataplane.hypervisor;

import java.util.List;
import java.util.Optional;

/**
 * The hypervisor as xmig's data plane sees it: domains, their memory, their dirty log, their vCPU context. Nothing
 * above this interface touches FFM. One implementation, {@link XenHypervisor}, drives libxenctrl on a Xen dom0 or
 * the simulator anywhere else; a new hypervisor backend is a new implementation of this interface.
 *
 * <p>Implementations are thread-safe: any thread may call any method. The objects they hand out say their own
 * threading rules.
 */
public interface Hypervisor extends AutoCloseable {

    /** Every domain, in domain-id order. */
    List<DomainInfo> domains();

    /** One domain; {@link HypervisorException} with ESRCH if it does not exist. */
    DomainInfo domain(int domid);

    /** Guest pages of the domain: its highest guest frame number + 1 ({@code xc_domain_nr_gpfns}). */
    long guestPages(int domid);

    /** Stops the domain's vCPUs; when it returns, the guest writes nothing more until {@link #unpause}. */
    void pause(int domid);

    void unpause(int domid);

    /** The domain's log-dirty control. */
    DirtyLog dirtyLog(int domid);

    /** The domain's memory: foreign mappings and page installs. */
    GuestMemory memory(int domid);

    /** A bitmap the hypervisor can fill, for a domain of {@code pages} pages. The caller closes it. */
    DirtyBitmap newDirtyBitmap(long pages);

    /** The domain's vCPU state in the hypervisor's own format ({@code xc_domain_hvm_getcontext}). */
    byte[] saveVcpuContext(int domid);

    /** Loads vCPU state saved by {@link #saveVcpuContext} into a paused domain ({@code xc_domain_hvm_setcontext}). */
    void restoreVcpuContext(int domid, byte[] context);

    /**
     * The HVM parameters and TSC settings a Xen migration stream carries ({@code xc_hvm_param_get},
     * {@code xc_domain_get_tsc_info}); empty where the hypervisor has no such state (the simulator).
     */
    default java.util.Optional<HvmPlatformState> hvmPlatformState(int domid) {
        return java.util.Optional.empty();
    }

    /**
     * Undoes a guest-initiated suspend on the source ({@code xc_domain_resume(fast=1)}): the guest sees its suspend
     * call cancelled and runs on. Where there is no such call (the simulator) this is {@link #unpause}.
     */
    default void resumeSuspended(int domid) {
        unpause(domid);
    }

    /** The simulator's extra controls, when this hypervisor is the simulator. */
    Optional<GuestSimulator> simulator();

    @Override
    void close();
}
