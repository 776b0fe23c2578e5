/*
 * domain.c - the simulated hypervisor's domain table, xc_interface handles and the domain calls of
 * libxenctrl (getinfolist, nr_gpfns, maximum_gpfn, pause/unpause), plus the simulator's create/destroy and
 * counters. Domains are global to the process, as they are to a hypervisor: every handle sees them all.
 */
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/eventfd.h>

#define XCH_MAGIC 0x786d6967u  /* "xmig" */
#define MAX_DOMAINS 1024

struct xc_interface_core {
    uint32_t magic;
    pthread_mutex_t lock;
    struct hcbuf { void *p; size_t bytes; struct hcbuf *next; } *bufs;
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct domain *table[MAX_DOMAINS];
static uint32_t next_domid = 1;

uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

bool xch_valid(xc_interface *xch) { return xch && xch->magic == XCH_MAGIC; }

/* ---------------------------------------------------------------- handles */

API xc_interface *xc_interface_open(xentoollog_logger *logger, xentoollog_logger *dombuild_logger,
                                    unsigned open_flags) {
    xc_interface *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->magic = XCH_MAGIC;
    pthread_mutex_init(&x->lock, NULL);
    return x;
}

API int xc_interface_close(xc_interface *xch) {
    if (!xch) return 0;                     /* libxc: closing NULL is a no-op */
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    for (struct hcbuf *b = xch->bufs, *n; b; b = n) { n = b->next; munmap(b->p, b->bytes); free(b); }
    xch->magic = 0;
    free(xch);
    return 0;
}

/* ---------------------------------------------------------------- hypercall buffers */

API void *xc__hypercall_buffer_alloc_pages(xc_interface *xch, xc_hypercall_buffer_t *b, int nr_pages) {
    if (!xch_valid(xch) || !b || nr_pages <= 0) SET_ERRNO_RET(EINVAL, NULL);
    size_t bytes = (size_t)nr_pages << PAGE_SHIFT;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    struct hcbuf *h = malloc(sizeof *h);
    if (!h) { munmap(p, bytes); SET_ERRNO_RET(ENOMEM, NULL); }
    pthread_mutex_lock(&xch->lock);
    *h = (struct hcbuf){ p, bytes, xch->bufs };
    xch->bufs = h;
    pthread_mutex_unlock(&xch->lock);
    b->hbuf = p;
    return p;
}

API void xc__hypercall_buffer_free_pages(xc_interface *xch, xc_hypercall_buffer_t *b, int nr_pages) {
    if (!xch_valid(xch) || !b || !b->hbuf) return;
    pthread_mutex_lock(&xch->lock);
    for (struct hcbuf **pp = &xch->bufs; *pp; pp = &(*pp)->next) {
        if ((*pp)->p == b->hbuf) {
            struct hcbuf *h = *pp;
            *pp = h->next;
            munmap(h->p, h->bytes);
            free(h);
            b->hbuf = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&xch->lock);
}

size_t hcbuf_size(xc_interface *xch, void *p) {
    size_t n = 0;
    pthread_mutex_lock(&xch->lock);
    for (struct hcbuf *h = xch->bufs; h; h = h->next)
        if ((uint8_t *)p >= (uint8_t *)h->p && (uint8_t *)p < (uint8_t *)h->p + h->bytes) {
            n = h->bytes - (size_t)((uint8_t *)p - (uint8_t *)h->p);
            break;
        }
    pthread_mutex_unlock(&xch->lock);
    return n;
}

/* ---------------------------------------------------------------- table */

struct domain *dom_get(uint32_t domid) {
    struct domain *d = NULL;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < MAX_DOMAINS; i++)
        if (table[i] && table[i]->domid == domid) { d = table[i]; atomic_fetch_add(&d->refs, 1); break; }
    pthread_mutex_unlock(&table_lock);
    if (!d) errno = ESRCH;
    return d;
}

static void dom_free(struct domain *d) {
    demand_free(d);
    if (d->ram) munmap(d->ram, d->pages << PAGE_SHIFT);
    if (d->memfd >= 0) close(d->memfd);
    if (d->uffd >= 0) close(d->uffd);
    if (d->fault_evfd >= 0) close(d->fault_evfd);
    if (d->handler_stop_evfd >= 0) close(d->handler_stop_evfd);
    for (uint32_t i = 0; i < MAX_VCPUS; i++) free(d->vcpu[i].written);
    free(d->sync_dirty);
    free(d->scan_vec);
    if (d->has_workload) workload_free(&d->wl);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->dirty_lock);
    pthread_mutex_destroy(&d->fq_lock);
    pthread_cond_destroy(&d->cond);
    free(d);
}

void dom_put(struct domain *d) {
    if (d && atomic_fetch_sub(&d->refs, 1) == 1) dom_free(d);
}

uint64_t guest_now_ns(struct domain *d) {
    uint64_t since = __atomic_load_n(&d->run_since, __ATOMIC_ACQUIRE);
    uint64_t base = __atomic_load_n(&d->run_ns_base, __ATOMIC_ACQUIRE);
    return since ? base + (mono_ns() - since) : base;
}

/* Fill RAM with non-zero, non-repeating words: page p is an xorshift stream seeded by (seed, p). */
static void fill_ram(struct domain *d, uint64_t seed, uint64_t data_pages) {
    for (uint64_t p = 0; p < data_pages; p++) {
        uint64_t s = splitmix64(seed ^ (p * 0x100000001b3ULL)) | 1;
        uint64_t *w = (uint64_t *)(d->ram + (p << PAGE_SHIFT));
        for (int i = 0; i < 512; i++) w[i] = xorshift64s(&s) | 1;
    }
}

static struct domain *dom_alloc(uint64_t pages) {
    struct domain *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->pages = pages;
    d->memfd = d->uffd = d->fault_evfd = d->handler_stop_evfd = -1;
    d->refs = 1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_mutex_init(&d->dirty_lock, NULL);
    pthread_mutex_init(&d->fq_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &ca);
    pthread_condattr_destroy(&ca);
    size_t bytes = pages << PAGE_SHIFT;
    d->memfd = memfd_create("xmigsim-guest", MFD_CLOEXEC);
    if (d->memfd < 0 || ftruncate(d->memfd, (off_t)bytes) < 0) goto fail;
    d->ram = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, d->memfd, 0);
    if (d->ram == MAP_FAILED) { d->ram = NULL; goto fail; }
    /* Huge pages would be split by write-protection (measured: writes fell to 37 %). */
    madvise(d->ram, bytes, MADV_NOHUGEPAGE);
    d->handler_stop_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (d->handler_stop_evfd < 0) goto fail;
    for (int i = 0; i < 16; i++) d->handle[i] = (uint8_t)(splitmix64((uint64_t)(uintptr_t)d + i) & 0xff);
    return d;
fail:;
    int e = errno;
    dom_free(d);
    errno = e;
    return NULL;
}

static int dom_publish(struct domain *d, uint32_t *domid) {
    pthread_mutex_lock(&table_lock);
    int slot = -1;
    for (int i = 0; i < MAX_DOMAINS; i++) if (!table[i]) { slot = i; break; }
    if (slot < 0) { pthread_mutex_unlock(&table_lock); SET_ERRNO_RET(ENOSPC, -1); }
    for (;;) {                                   /* ids below DOMID_FIRST_RESERVED, never one still in use */
        uint32_t id = next_domid++;
        if (next_domid >= 0x7ff0) next_domid = 1;
        bool used = false;
        for (int i = 0; i < MAX_DOMAINS && !used; i++) used = table[i] && table[i]->domid == id;
        if (!used) { d->domid = id; break; }
    }
    table[slot] = d;
    *domid = d->domid;
    pthread_mutex_unlock(&table_lock);
    return 0;
}

static bool pages_valid(uint64_t pages) {
    return pages > 0 && pages <= (1ULL << 30);   /* up to 4 TiB of guest */
}

API int xmigsim_abi_version(void) { return XMIGSIM_ABI_VERSION; }

API int xmigsim_domain_create(xc_interface *xch, uint64_t pages, const char *spec, uint64_t seed,
                              unsigned int flags, uint32_t *domid) {
    sim_error("%s", "");
    if (!xch_valid(xch) || !domid || !spec) SET_ERRNO_RET(EINVAL, -1);
    if (!pages_valid(pages)) { sim_error("a domain has 1 to 2^30 pages, not %llu", (unsigned long long)pages); SET_ERRNO_RET(EINVAL, -1); }
    if (flags & ~(XMIGSIM_CREATE_PAUSED | XMIGSIM_TRACK_SYNC_WP)) SET_ERRNO_RET(EINVAL, -1);
    struct workload wl;
    if (workload_parse(spec, seed, pages, &wl) < 0) return -1;
    struct domain *d = dom_alloc(pages);
    if (!d) { workload_free(&wl); return -1; }
    d->wl = wl;
    d->has_workload = true;
    fill_ram(d, wl.seed, pages - wl.zero_pages);
    if (uffd_create(d, flags & XMIGSIM_TRACK_SYNC_WP) < 0) goto fail;
    if (d->tracking == XMIGSIM_TRACKING_SYNC_WP && handler_start(d) < 0) goto fail;
    vcpu_state_init(d);
    pthread_mutex_lock(&d->lock);
    d->pause_count = 1;                              /* created paused, as Xen creates domains */
    atomic_store(&d->pause_req, 1);
    int rc = (flags & XMIGSIM_CREATE_PAUSED) ? 0 : domain_unpause_locked(d);
    pthread_mutex_unlock(&d->lock);
    if (rc < 0 || dom_publish(d, domid) < 0) goto fail;
    return 0;
fail:;
    int e = errno;
    vcpus_stop(d);
    handler_stop(d);
    dom_put(d);
    errno = e;
    return -1;
}

API int xmigsim_domain_create_dest(xc_interface *xch, uint64_t pages, unsigned int flags, uint32_t *domid) {
    sim_error("%s", "");
    if (!xch_valid(xch) || !domid) SET_ERRNO_RET(EINVAL, -1);
    if (!pages_valid(pages)) { sim_error("a domain has 1 to 2^30 pages, not %llu", (unsigned long long)pages); SET_ERRNO_RET(EINVAL, -1); }
    if (flags & ~XMIGSIM_TRACK_SYNC_WP) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_alloc(pages);
    if (!d) return -1;
    d->is_dest = true;
    d->pause_count = 1;
    atomic_store(&d->pause_req, 1);
    if (uffd_create(d, flags & XMIGSIM_TRACK_SYNC_WP) < 0 || demand_init(d) < 0 || handler_start(d) < 0
        || dom_publish(d, domid) < 0) {
        int e = errno;
        handler_stop(d);
        dom_put(d);
        errno = e;
        return -1;
    }
    return 0;
}

API int xmigsim_domain_destroy(xc_interface *xch, uint32_t domid) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = NULL;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < MAX_DOMAINS; i++)
        if (table[i] && table[i]->domid == domid) { d = table[i]; table[i] = NULL; break; }
    pthread_mutex_unlock(&table_lock);
    if (!d) SET_ERRNO_RET(ESRCH, -1);
    /* vCPUs blocked on missing pages wake when the uffd goes away; stop the handler first, then close it. */
    atomic_store(&d->stopping, 1);
    if (d->fault_evfd >= 0) {                     /* wake fault pollers: their next read says ESRCH */
        uint64_t one = 1;
        if (write(d->fault_evfd, &one, sizeof one) < 0) { /* cannot overflow */ }
    }
    handler_stop(d);
    pthread_mutex_lock(&d->dirty_lock);
    if (d->uffd >= 0) { close(d->uffd); d->uffd = -1; }
    pthread_mutex_unlock(&d->dirty_lock);
    vcpus_stop(d);
    dom_put(d);
    return 0;
}

/* ---------------------------------------------------------------- libxenctrl domain calls */

static void fill_info(struct domain *d, xc_domaininfo_t *info) {
    memset(info, 0, sizeof *info);
    info->domain = (domid_t)d->domid;
    pthread_mutex_lock(&d->lock);
    uint32_t flags = XEN_DOMINF_hvm_guest | XEN_DOMINF_hap;
    if (d->pause_count) flags |= XEN_DOMINF_paused;
    else if (d->has_workload && d->halted == d->wl.vcpus) flags |= XEN_DOMINF_blocked;
    else flags |= XEN_DOMINF_running;
    info->flags = flags;
    uint32_t vcpus = d->has_workload ? d->wl.vcpus : 1;
    pthread_mutex_unlock(&d->lock);
    struct xmigsim_counters c;
    counters_of(d, &c);
    info->tot_pages = c.pages_present;
    info->max_pages = d->pages;
    info->cpu_time = c.cpu_ns;
    info->nr_online_vcpus = vcpus;
    info->max_vcpu_id = vcpus - 1;
    memcpy(info->handle, d->handle, sizeof info->handle);
    info->gpaddr_bits = 48;
}

API int xc_domain_getinfolist(xc_interface *xch, uint32_t first_domain, unsigned int max_domains,
                              xc_domaininfo_t *info) {
    if (!xch_valid(xch) || (max_domains && !info)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *sorted[MAX_DOMAINS];
    int n = 0;
    pthread_mutex_lock(&table_lock);
    for (int i = 0; i < MAX_DOMAINS; i++)
        if (table[i] && table[i]->domid >= first_domain) { sorted[n++] = table[i]; atomic_fetch_add(&table[i]->refs, 1); }
    pthread_mutex_unlock(&table_lock);
    for (int i = 1; i < n; i++)                              /* insertion sort by domid */
        for (int j = i; j > 0 && sorted[j - 1]->domid > sorted[j]->domid; j--) {
            struct domain *t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t;
        }
    int out = 0;
    for (int i = 0; i < n; i++) {
        if ((unsigned)out < max_domains) fill_info(sorted[i], &info[out++]);
        dom_put(sorted[i]);
    }
    return out;
}

API int xc_domain_nr_gpfns(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns) {
    if (!xch_valid(xch) || !gpfns) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    *gpfns = d->pages;
    dom_put(d);
    return 0;
}

API int xc_domain_maximum_gpfn(xc_interface *xch, uint32_t domid, xen_pfn_t *gpfns) {
    if (!xch_valid(xch) || !gpfns) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    *gpfns = d->pages - 1;
    dom_put(d);
    return 0;
}

API int xc_domain_pause(xc_interface *xch, uint32_t domid) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    pthread_mutex_lock(&d->lock);
    int rc = domain_pause_locked(d);
    pthread_mutex_unlock(&d->lock);
    dom_put(d);
    return rc;
}

API int xc_domain_unpause(xc_interface *xch, uint32_t domid) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    pthread_mutex_lock(&d->lock);
    int rc = 0;
    if (d->pause_count == 0) { errno = EINVAL; rc = -1; }   /* Xen: unpausing a domain not paused by us */
    else rc = domain_unpause_locked(d);
    pthread_mutex_unlock(&d->lock);
    dom_put(d);
    return rc;
}

/* ---------------------------------------------------------------- counters */

int counters_of(struct domain *d, struct xmigsim_counters *c) {
    memset(c, 0, sizeof *c);
    pthread_mutex_lock(&d->lock);
    uint32_t n = d->has_workload ? d->wl.vcpus : 0;
    for (uint32_t i = 0; i < n; i++) {
        struct vcpu *v = &d->vcpu[i];
        c->writes += atomic_load_explicit(&v->writes, memory_order_relaxed);
        c->requests += atomic_load_explicit(&v->requests, memory_order_relaxed);
        c->read_sum += atomic_load_explicit(&v->read_sum, memory_order_relaxed);
        c->steps += __atomic_load_n(&v->seq, __ATOMIC_RELAXED);
        uint64_t st = atomic_load_explicit(&v->max_stall_ns, memory_order_relaxed);
        if (st > c->max_stall_ns) c->max_stall_ns = st;
        c->cpu_ns += v->cpu_ns_done;
        if (v->started) {
            clockid_t cid;
            struct timespec ts;
            if (pthread_getcpuclockid(v->thread, &cid) == 0 && clock_gettime(cid, &ts) == 0)
                c->cpu_ns += (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
        }
    }
    c->vcpus = n;
    c->state = d->pause_count ? XMIGSIM_STATE_PAUSED
             : (n && d->halted == n) ? XMIGSIM_STATE_HALTED : XMIGSIM_STATE_RUNNING;
    pthread_mutex_unlock(&d->lock);
    c->run_ns = guest_now_ns(d);
    c->faults = atomic_load(&d->faults);
    c->wp_faults = atomic_load(&d->wp_faults);
    c->pages_present = d->present ? atomic_load(&d->present_count) : d->pages;
    return 0;
}

API int xmigsim_counters(xc_interface *xch, uint32_t domid, struct xmigsim_counters *out) {
    if (!xch_valid(xch) || !out) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    counters_of(d, out);
    dom_put(d);
    return 0;
}

API long xmigsim_written_pages(xc_interface *xch, uint32_t domid, uint8_t *bitmap, uint64_t pages, int clear) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    long n = 0;
    size_t bytes = (d->pages + 7) / 8;
    if (bitmap && pages < d->pages) { errno = EINVAL; n = -1; goto out; }
    if (bitmap) memset(bitmap, 0, bytes);
    pthread_mutex_lock(&d->lock);
    uint32_t nv = d->has_workload ? d->wl.vcpus : 0;
    for (size_t i = 0; i < bytes; i++) {
        uint8_t b = 0;
        for (uint32_t v = 0; v < nv; v++) {
            uint8_t *w = d->vcpu[v].written;
            if (!w) continue;
            b |= __atomic_load_n(&w[i], __ATOMIC_RELAXED);
            if (clear) __atomic_store_n(&w[i], 0, __ATOMIC_RELAXED);
        }
        if (bitmap) bitmap[i] = b;
        n += __builtin_popcount(b);
    }
    pthread_mutex_unlock(&d->lock);
out:
    dom_put(d);
    return n;
}

API int xmigsim_latency_histogram(xc_interface *xch, uint32_t domid, uint64_t *buckets, uint32_t nbuckets, int clear) {
    if (!xch_valid(xch) || !buckets || nbuckets < XMIGSIM_LAT_BUCKETS) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    memset(buckets, 0, sizeof(uint64_t) * XMIGSIM_LAT_BUCKETS);
    pthread_mutex_lock(&d->lock);
    uint32_t nv = d->has_workload ? d->wl.vcpus : 0;
    for (uint32_t v = 0; v < nv; v++)
        for (int i = 0; i < XMIGSIM_LAT_BUCKETS; i++)
            buckets[i] += clear ? atomic_exchange(&d->vcpu[v].lat[i], 0) : atomic_load(&d->vcpu[v].lat[i]);
    pthread_mutex_unlock(&d->lock);
    dom_put(d);
    return 0;
}

API int xmigsim_tracking_mode(xc_interface *xch, uint32_t domid) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    int m = d->tracking;
    dom_put(d);
    return m;
}

API int xmigsim_guest_write(xc_interface *xch, uint32_t domid, const uint64_t *pfns, uint64_t count) {
    if (!xch_valid(xch) || (count && !pfns)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++)
        if (pfns[i] >= d->pages) { errno = EINVAL; rc = -1; }
        else if (!page_present(d, pfns[i])) { errno = ENOENT; rc = -1; }
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        volatile uint64_t *w = (volatile uint64_t *)(d->ram + (pfns[i] << PAGE_SHIFT) + 8 * (i & 511));
        *w = (*w + 0x9e3779b97f4a7c15ULL) | 1;
    }
    dom_put(d);
    return rc;
}
