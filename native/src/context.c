/*
 * context.c - xc_domain_hvm_getcontext/setcontext in Xen's HVM save format: HEADER, one CPU record per vCPU,
 * a simulator record, END, each behind a struct hvm_save_descriptor. A simulated vCPU's state is its position
 * in the workload, kept where a real vCPU keeps its state: rip = steps done, rax = rng state, rbx = writes,
 * rcx = requests, rdx = read_sum. The simulator record (typecode XMIGSIM_HVM_SAVE_CODE_WORKLOAD) carries the workload spec and
 * the guest time, so a destination created empty runs on exactly where the source stopped.
 */
#include "sim.h"

#include <stdlib.h>
#include <xen/hvm/save.h>

struct workload_record {
    uint64_t run_ns;
    uint32_t vcpus;
    uint32_t spec_len;        /* bytes of spec that follow, NUL included, padded to 8 */
    char spec[];
};

static size_t pad8(size_t n) { return (n + 7) & ~(size_t)7; }

static size_t context_size(uint32_t vcpus, size_t spec_len) {
    size_t desc = sizeof(struct hvm_save_descriptor);
    return desc + sizeof(struct hvm_save_header)
         + vcpus * (desc + sizeof(struct hvm_hw_cpu))
         + desc + sizeof(struct workload_record) + pad8(spec_len)
         + desc;                                              /* END */
}

static uint8_t *put_desc(uint8_t *p, uint16_t type, uint16_t instance, uint32_t length) {
    struct hvm_save_descriptor h = { .typecode = type, .instance = instance, .length = length };
    memcpy(p, &h, sizeof h);
    return p + sizeof h;
}

API int xc_domain_hvm_getcontext(xc_interface *xch, uint32_t domid, uint8_t *ctxt_buf, uint32_t size) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    int rc;
    pthread_mutex_lock(&d->lock);
    if (!d->has_workload) { errno = ENODATA; rc = -1; goto out; }   /* an empty destination has no context yet */
    size_t spec_len = strlen(d->wl.spec) + 1;
    size_t need = context_size(d->wl.vcpus, spec_len);
    if (!ctxt_buf) { rc = (int)need; goto out; }                   /* Xen: NULL buffer asks for the size */
    if (size < need) { errno = ENOSPC; rc = -1; goto out; }
    if (domain_pause_locked(d) < 0) { rc = -1; goto out; }          /* Xen pauses around hvm_save too */
    uint8_t *p = ctxt_buf;
    memset(ctxt_buf, 0, need);
    p = put_desc(p, 1 /* HEADER */, 0, sizeof(struct hvm_save_header));
    struct hvm_save_header hdr = { .magic = HVM_FILE_MAGIC, .version = HVM_FILE_VERSION };
    memcpy(p, &hdr, sizeof hdr);
    p += sizeof hdr;
    for (uint32_t i = 0; i < d->wl.vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        p = put_desc(p, 2 /* CPU */, (uint16_t)i, sizeof(struct hvm_hw_cpu));
        struct hvm_hw_cpu *cpu = (struct hvm_hw_cpu *)p;
        cpu->rip = v->seq;
        cpu->rax = v->rng;
        cpu->rbx = atomic_load(&v->writes);
        cpu->rcx = atomic_load(&v->requests);
        cpu->rdx = atomic_load(&v->read_sum);
        p += sizeof(struct hvm_hw_cpu);
    }
    p = put_desc(p, XMIGSIM_HVM_SAVE_CODE_WORKLOAD, 0, (uint32_t)(sizeof(struct workload_record) + pad8(spec_len)));
    struct workload_record *wr = (struct workload_record *)p;
    wr->run_ns = guest_now_ns(d);
    wr->vcpus = d->wl.vcpus;
    wr->spec_len = (uint32_t)pad8(spec_len);
    memcpy(wr->spec, d->wl.spec, spec_len);
    p += sizeof *wr + pad8(spec_len);
    put_desc(p, 0 /* END */, 0, 0);
    domain_unpause_locked(d);
    rc = (int)need;
out:
    pthread_mutex_unlock(&d->lock);
    dom_put(d);
    return rc;
}

/* Walk the records; every length is checked against the buffer before it is used. */
API int xc_domain_hvm_setcontext(xc_interface *xch, uint32_t domid, uint8_t *buf, uint32_t size) {
    if (!xch_valid(xch) || !buf) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    struct hvm_hw_cpu cpus[MAX_VCPUS];
    bool seen[MAX_VCPUS] = { false };
    const struct workload_record *wr = NULL;
    char spec[512] = "";
    bool header = false, end = false;
    size_t off = 0;
    int rc = -1;
    errno = EINVAL;
    while (off + sizeof(struct hvm_save_descriptor) <= size && !end) {
        struct hvm_save_descriptor h;
        memcpy(&h, buf + off, sizeof h);
        off += sizeof h;
        if (h.length > size - off) { sim_error("hvm context: record %u overruns the buffer", h.typecode); goto out; }
        const uint8_t *body = buf + off;
        switch (h.typecode) {
        case 0: end = true; break;
        case 1: {
            struct hvm_save_header hdr;
            if (h.length != sizeof hdr) goto out;
            memcpy(&hdr, body, sizeof hdr);
            if (hdr.magic != HVM_FILE_MAGIC || hdr.version != HVM_FILE_VERSION) { sim_error("hvm context: bad magic or version"); goto out; }
            header = true;
            break;
        }
        case 2:
            if (h.length != sizeof(struct hvm_hw_cpu) || h.instance >= MAX_VCPUS) goto out;
            memcpy(&cpus[h.instance], body, sizeof(struct hvm_hw_cpu));
            seen[h.instance] = true;
            break;
        case XMIGSIM_HVM_SAVE_CODE_WORKLOAD:
            if (h.length < sizeof *wr) goto out;
            wr = (const struct workload_record *)body;
            if (wr->spec_len > h.length - sizeof *wr || wr->spec_len == 0 || wr->spec_len > sizeof spec) goto out;
            memcpy(spec, wr->spec, wr->spec_len);
            spec[wr->spec_len - 1] = 0;
            break;
        default:
            break;                                              /* other records: not ours to restore */
        }
        off += h.length;
    }
    if (!header || !end || !wr) { sim_error("hvm context: missing header, workload record or end"); goto out; }

    pthread_mutex_lock(&d->lock);
    if (d->pause_count == 0) { errno = EBUSY; sim_error("hvm context: domain must be paused"); goto unlock; }
    struct workload wl;
    if (workload_parse(spec, 0, d->pages, &wl) < 0) goto unlock;
    if (wl.vcpus != wr->vcpus) { workload_free(&wl); errno = EINVAL; goto unlock; }
    for (uint32_t i = 0; i < wl.vcpus; i++)
        if (!seen[i]) { workload_free(&wl); errno = EINVAL; sim_error("hvm context: vCPU %u missing", i); goto unlock; }
    if (d->has_workload) {
        bool same = !strcmp(d->wl.spec, wl.spec) && d->wl.vcpus == wl.vcpus;
        workload_free(&wl);
        if (!same) { errno = EINVAL; sim_error("hvm context: a different workload is already running here"); goto unlock; }
    } else {
        d->wl = wl;
        d->has_workload = true;
        vcpu_state_init(d);
    }
    for (uint32_t i = 0; i < d->wl.vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        v->d = d;
        v->idx = i;
        v->seq = cpus[i].rip;
        v->rng = cpus[i].rax;
        atomic_store(&v->writes, cpus[i].rbx);
        atomic_store(&v->requests, cpus[i].rcx);
        atomic_store(&v->read_sum, cpus[i].rdx);
    }
    __atomic_store_n(&d->run_ns_base, wr->run_ns, __ATOMIC_RELEASE);
    rc = 0;
unlock:
    pthread_mutex_unlock(&d->lock);
out:
    dom_put(d);
    return rc;
}
