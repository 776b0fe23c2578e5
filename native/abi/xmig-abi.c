/*
 * xmig-abi - prints the C ABI facts the Java bindings (module bindings, package io.xmig.bindings) mirror,
 * measured by the compiler from the very headers the real libraries and libxmigsim.so are built against.
 * bindings' AbiTest runs this program and compares every line with the Java layouts and constants, in
 * both directions: a field or constant printed here and absent from Java fails, and so does the reverse.
 *
 * Output, one fact per line:
 *   STRUCT sizeof N | STRUCT alignof N
 *   STRUCT.FIELD offsetof N | STRUCT.FIELD sizeof N      (nested struct fields as STRUCT.FIELD.FIELD)
 *   CONST NAME VALUE
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xen/hvm/save.h>
#include "xmigsim.h"

#define STRUCT(name, type) \
    printf("%s sizeof %zu\n%s alignof %zu\n", name, sizeof(type), name, _Alignof(type))
#define FIELD(name, type, field) \
    printf("%s.%s offsetof %zu\n%s.%s sizeof %zu\n", name, #field, offsetof(type, field), \
           name, #field, sizeof(((type *)0)->field))
#define CONST(c) printf("CONST %s %lld\n", #c, (long long)(c))

int main(void)
{
    STRUCT("xc_domaininfo_t", xc_domaininfo_t);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, domain);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, pad1);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, flags);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, tot_pages);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, max_pages);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, outstanding_pages);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, shr_pages);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, paged_pages);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, shared_info_frame);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, cpu_time);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, nr_online_vcpus);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, max_vcpu_id);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, ssidref);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, handle);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, cpupool);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, gpaddr_bits);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, pad2);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, arch_config);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, arch_config.emulation_flags);
    FIELD("xc_domaininfo_t", xc_domaininfo_t, arch_config.misc_flags);

    STRUCT("xc_shadow_op_stats_t", xc_shadow_op_stats_t);
    FIELD("xc_shadow_op_stats_t", xc_shadow_op_stats_t, fault_count);
    FIELD("xc_shadow_op_stats_t", xc_shadow_op_stats_t, dirty_count);

    STRUCT("xc_hypercall_buffer_t", xc_hypercall_buffer_t);
    FIELD("xc_hypercall_buffer_t", xc_hypercall_buffer_t, hbuf);
    FIELD("xc_hypercall_buffer_t", xc_hypercall_buffer_t, param_shadow);
    FIELD("xc_hypercall_buffer_t", xc_hypercall_buffer_t, dir);
    FIELD("xc_hypercall_buffer_t", xc_hypercall_buffer_t, ubuf);
    FIELD("xc_hypercall_buffer_t", xc_hypercall_buffer_t, sz);

    STRUCT("hvm_save_descriptor", struct hvm_save_descriptor);
    FIELD("hvm_save_descriptor", struct hvm_save_descriptor, typecode);
    FIELD("hvm_save_descriptor", struct hvm_save_descriptor, instance);
    FIELD("hvm_save_descriptor", struct hvm_save_descriptor, length);

    STRUCT("xmigsim_counters", struct xmigsim_counters);
    FIELD("xmigsim_counters", struct xmigsim_counters, writes);
    FIELD("xmigsim_counters", struct xmigsim_counters, steps);
    FIELD("xmigsim_counters", struct xmigsim_counters, requests);
    FIELD("xmigsim_counters", struct xmigsim_counters, run_ns);
    FIELD("xmigsim_counters", struct xmigsim_counters, cpu_ns);
    FIELD("xmigsim_counters", struct xmigsim_counters, max_stall_ns);
    FIELD("xmigsim_counters", struct xmigsim_counters, faults);
    FIELD("xmigsim_counters", struct xmigsim_counters, pages_present);
    FIELD("xmigsim_counters", struct xmigsim_counters, wp_faults);
    FIELD("xmigsim_counters", struct xmigsim_counters, read_sum);
    FIELD("xmigsim_counters", struct xmigsim_counters, vcpus);
    FIELD("xmigsim_counters", struct xmigsim_counters, state);

    /* xenctrl.h */
    CONST(XC_PAGE_SHIFT);
    CONST(XC_PAGE_SIZE);
    CONST(XC_OPENFLAG_DUMMY);
    CONST(XC_OPENFLAG_NON_REENTRANT);
    /* xen/domctl.h */
    CONST(XEN_DOMCTL_SHADOW_OP_OFF);
    CONST(XEN_DOMCTL_SHADOW_OP_ENABLE);
    CONST(XEN_DOMCTL_SHADOW_OP_CLEAN);
    CONST(XEN_DOMCTL_SHADOW_OP_PEEK);
    CONST(XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY);
    CONST(XEN_DOMCTL_SHADOW_ENABLE_LOG_DIRTY);
    CONST(XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL);
    CONST(XEN_DOMINF_dying);
    CONST(XEN_DOMINF_hvm_guest);
    CONST(XEN_DOMINF_shutdown);
    CONST(XEN_DOMINF_paused);
    CONST(XEN_DOMINF_blocked);
    CONST(XEN_DOMINF_running);
    CONST(XEN_DOMINF_debugged);
    CONST(XEN_DOMINF_xs_domain);
    CONST(XEN_DOMINF_hap);
    CONST(XEN_DOMINF_shutdownmask);
    CONST(XEN_DOMINF_shutdownshift);
    /* sys/mman.h, for xenforeignmemory_map's prot */
    CONST(PROT_READ);
    CONST(PROT_WRITE);
    /* xmigsim.h */
    CONST(XMIGSIM_ABI_VERSION);
    CONST(XMIGSIM_CREATE_PAUSED);
    CONST(XMIGSIM_TRACK_SYNC_WP);
    CONST(XMIGSIM_INSTALL_OVERWRITE);
    CONST(XMIGSIM_INSTALL_IF_MISSING);
    CONST(XMIGSIM_TRACKING_ASYNC_WP);
    CONST(XMIGSIM_TRACKING_SYNC_WP);
    CONST(XMIGSIM_STATE_RUNNING);
    CONST(XMIGSIM_STATE_PAUSED);
    CONST(XMIGSIM_STATE_HALTED);
    CONST(XMIGSIM_LAT_BUCKETS);
    CONST(XMIGSIM_HVM_SAVE_CODE_WORKLOAD);
    /* errno.h: the values io.xmig.bindings.Errno names */
    CONST(EPERM);
    CONST(ENOENT);
    CONST(ESRCH);
    CONST(EINTR);
    CONST(EIO);
    CONST(EAGAIN);
    CONST(ENOMEM);
    CONST(EACCES);
    CONST(EFAULT);
    CONST(EBUSY);
    CONST(EEXIST);
    CONST(EINVAL);
    CONST(ENOSPC);
    CONST(ENODATA);
    CONST(ENOSYS);
    CONST(EOPNOTSUPP);
    return 0;
}
