/*
 * sim.h - internals of libxmigsim.so, the Xen guest simulator.
 *
 * A simulated domain is real memory (a memfd mapped MAP_SHARED, so that xenforeignmemory_map can alias any
 * page at a new address, as Xen's foreign mappings do) written by native vCPU threads running a workload.
 * Dirty tracking is done by the kernel through a userfaultfd registered on the vCPUs' view of RAM:
 * asynchronous write-protect + PAGEMAP_SCAN where the kernel has them (>= 6.7), synchronous write-protect
 * faults handled by a library thread otherwise. A destination domain registers its RAM in missing mode too,
 * so a vCPU that touches a page that has not arrived blocks in the kernel until xmig installs it.
 *
 * Threads: the caller's threads (any number, through the exported API), one thread per vCPU, and one uffd
 * handler thread per domain that has missing pages or synchronous tracking. Locks, in order:
 * domain table lock -> d->lock (run state) -> d->dirty_lock (log-dirty) -> d->fq_lock (fault queue).
 */
#ifndef XMIGSIM_SIM_H
#define XMIGSIM_SIM_H

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <linux/userfaultfd.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include "xmigsim.h"

#define API __attribute__((visibility("default")))
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define MAX_VCPUS 64

/* Definitions the Debian 12 uapi headers (6.1) lack; layouts as in the kernel's include/uapi/linux/fs.h
 * and userfaultfd.h (6.7+). */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#ifndef UFFD_FEATURE_WP_HUGETLBFS_SHMEM
#define UFFD_FEATURE_WP_HUGETLBFS_SHMEM (1 << 12)
#endif
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif
#ifndef PAGEMAP_SCAN
struct page_region { uint64_t start, end, categories; };
struct pm_scan_arg {
    uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
    uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_WRITTEN (1 << 1)
#define PM_SCAN_WP_MATCHING (1 << 0)
#define PM_SCAN_CHECK_WPASYNC (1 << 1)
#endif

/* ---- workloads (workload.c) ---- */
enum wl_kind { WL_IDLE, WL_SWEEP, WL_RANDOM, WL_HOTCOLD, WL_PHASED, WL_KV, WL_CPU, WL_TRACE };

struct workload {
    enum wl_kind kind;
    char spec[512];        /* as given, normalised (seed= always present) */
    uint64_t seed;
    uint32_t vcpus;
    uint64_t steps;        /* per vCPU; 0 = unlimited */
    uint64_t ws_first;     /* working set: pages [ws_first, ws_first + ws_pages) */
    uint64_t ws_pages;
    uint64_t zero_pages;   /* trailing pages left zero at creation */
    double rate;           /* steps (writes or requests) per second, whole domain; < 0 = as fast as possible */
    uint32_t fill;         /* bytes per write: 8 or 4096 */
    uint64_t hot_pages;    /* hotcold */
    double hot_share;
    uint64_t quiet_ns, burst_ns; /* phased */
    double quiet_rate;
    double put_share;      /* kv */
    double util;           /* cpu, and the CPU of a trace */
    uint32_t trace_len;    /* trace: per-second samples */
    double *trace_rate, *trace_util;
};

int workload_parse(const char *spec, uint64_t default_seed, uint64_t domain_pages, struct workload *out);
void workload_free(struct workload *w);

/* ---- domains ---- */
struct domain;

struct vcpu {
    struct domain *d;
    uint32_t idx;
    pthread_t thread;
    bool started;
    /* Workload position: with the spec, all that decides the rest of the run (carried by hvm context). */
    uint64_t seq;
    uint64_t rng;
    _Atomic uint64_t read_sum;
    /* Counters, written by this vCPU only, read relaxed by anyone. */
    _Atomic uint64_t writes, requests, max_stall_ns;
    uint8_t *written;              /* the workload's own record of pages written (bitmap) */
    _Atomic uint64_t lat[XMIGSIM_LAT_BUCKETS];
    uint64_t cpu_ns_done;          /* CPU time of exited threads */
};

struct domain {
    uint32_t domid;
    uint64_t pages;
    bool is_dest;
    int memfd;
    uint8_t *ram;                  /* the vCPUs' view, registered with the uffd */
    _Atomic int refs;

    /* run state, under lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;           /* vCPUs wait here while paused or pacing; pause() waits for parked */
    int pause_count;
    _Atomic int pause_req;
    _Atomic int stopping;
    uint32_t parked;               /* vCPUs parked (paused or halted) */
    uint32_t halted;
    bool has_workload;
    struct workload wl;
    struct vcpu vcpu[MAX_VCPUS];
    uint64_t run_ns_base;          /* guest time accumulated while running */
    uint64_t run_since;            /* monotonic ns when last unpaused, 0 while paused */
    uint8_t handle[16];

    /* log-dirty, under dirty_lock */
    pthread_mutex_t dirty_lock;
    int uffd;
    int tracking;                  /* XMIGSIM_TRACKING_* */
    bool logdirty;
    bool report_all;               /* a CLEAN failed half-way: the next one reports every page */
    uint64_t *sync_dirty;          /* sync tracking: pages written since the last CLEAN */
    uint32_t dirty_count, fault_count; /* since the last CLEAN, as Xen's stats */
    _Atomic uint64_t wp_faults;
    struct page_region *scan_vec;
    size_t scan_vec_len;

    /* destination: present pages and the fault queue */
    _Atomic uint64_t *present;     /* bitmap, NULL on a source */
    _Atomic uint64_t present_count;
    pthread_mutex_t fq_lock;
    uint64_t *fq;                  /* ring of faulting pfns, capacity = pages */
    uint64_t fq_head, fq_len;
    uint64_t *fq_queued;           /* bitmap: queued and not yet installed */
    int fault_evfd;
    _Atomic uint64_t faults;

    /* uffd handler thread (missing faults, sync WP faults) */
    pthread_t handler;
    bool handler_running;
    int handler_stop_evfd;
};

struct domain *dom_get(uint32_t domid);         /* takes a reference, NULL + ESRCH if unknown */
void dom_put(struct domain *d);
uint64_t guest_now_ns(struct domain *d);         /* guest time: ns the domain has been runnable */
uint64_t mono_ns(void);
int counters_of(struct domain *d, struct xmigsim_counters *out);

/* vcpu.c */
int vcpus_start(struct domain *d);               /* d->lock held */
void vcpus_stop(struct domain *d);               /* joins; d->lock not held */
void vcpu_state_init(struct domain *d);
int domain_pause_locked(struct domain *d);
int domain_unpause_locked(struct domain *d);

/* tracking.c */
int uffd_create(struct domain *d, bool sync_tracking);
int tracking_enable(struct domain *d);
int tracking_disable(struct domain *d);
long tracking_collect(struct domain *d, uint8_t *bitmap, bool clean); /* pages reported */
void tracking_wp_fault(struct domain *d, uint64_t pfn);
int handler_start(struct domain *d);
void handler_stop(struct domain *d);
bool kernel_has_async_wp(void);

/* demand.c */
int demand_init(struct domain *d);
void demand_fault(struct domain *d, uint64_t addr);
void demand_free(struct domain *d);
static inline bool page_present(struct domain *d, uint64_t pfn) {
    return !d->present || (atomic_load_explicit(&d->present[pfn >> 6], memory_order_acquire) >> (pfn & 63)) & 1;
}

/* hypercall buffers (logdirty.c) */
size_t hcbuf_size(xc_interface *xch, void *p);

void sim_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* bad handles */
bool xch_valid(xc_interface *xch);

/* numeric helpers */
static inline uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}
static inline uint64_t xorshift64s(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ULL;
}
static inline void bitmap_set(uint8_t *b, uint64_t n) { b[n >> 3] |= (uint8_t)(1u << (n & 7)); }

#define SET_ERRNO_RET(e, r) do { errno = (e); return (r); } while (0)

#endif
