/*
 * vcpu.c - vCPUs: one native thread each, running the domain's workload, paced in guest time, and parking at
 * a safe point (between two steps) when the domain is paused, as Xen deschedules paused vCPUs.
 *
 * A workload's sequence of writes depends only on (spec, seed, vCPU index, step number, rng state): the pace
 * decides how fast it unrolls, never what it writes. vCPU i only ever writes the pages of the working set whose
 * index is i modulo vcpus, so a run's memory after N steps per vCPU is the same whatever the interleaving.
 * That position (step, rng) is what xc_domain_hvm_getcontext saves and setcontext restores.
 */
#include "sim.h"

#include <math.h>
#include <stdlib.h>

#define SLICE_NS 1000000ULL          /* pacing quantum: 1 ms of guest time */
#define BURST 32                     /* steps between two pause checks and clock reads */
#define MAX_CREDIT_S 0.1             /* a vCPU that fell behind catches up at most 100 ms of work */

static uint64_t ns_of(const struct timespec *t) { return (uint64_t)t->tv_sec * 1000000000ULL + (uint64_t)t->tv_nsec; }

/* ---------------------------------------------------------------- run state */

void vcpu_state_init(struct domain *d) {
    for (uint32_t i = 0; i < d->wl.vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        v->d = d;
        v->idx = i;
        v->seq = 0;
        v->rng = splitmix64(d->wl.seed * 0x9e3779b97f4a7c15ULL + i + 1) | 1;
    }
}

/* Guest time stops while paused. d->lock held. */
static void clock_stop(struct domain *d) {
    if (!d->run_since) return;
    __atomic_store_n(&d->run_ns_base, d->run_ns_base + (mono_ns() - d->run_since), __ATOMIC_RELEASE);
    __atomic_store_n(&d->run_since, 0, __ATOMIC_RELEASE);
}

static void clock_start(struct domain *d) {
    if (!d->run_since) __atomic_store_n(&d->run_since, mono_ns(), __ATOMIC_RELEASE);
}

static uint32_t started_vcpus(struct domain *d) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < MAX_VCPUS; i++) n += d->vcpu[i].started;
    return n;
}

/* d->lock held. Returns once every started vCPU has parked; -1/ESRCH if the domain is destroyed meanwhile. */
int domain_pause_locked(struct domain *d) {
    if (atomic_load(&d->stopping)) SET_ERRNO_RET(ESRCH, -1);
    if (d->pause_count++ > 0) return 0;
    atomic_store(&d->pause_req, 1);
    pthread_cond_broadcast(&d->cond);
    /* A vCPU blocked on a missing page reaches its safe point once the page is installed (Xen would deschedule
     * it at once; here pause waits, so that no write can land after pause returns). */
    while (!atomic_load(&d->stopping) && d->parked < started_vcpus(d)) pthread_cond_wait(&d->cond, &d->lock);
    if (atomic_load(&d->stopping)) SET_ERRNO_RET(ESRCH, -1);
    clock_stop(d);
    return 0;
}

/* d->lock held; pause_count > 0. -1 (and still paused) if the vCPUs cannot start or the domain is going away. */
int domain_unpause_locked(struct domain *d) {
    if (atomic_load(&d->stopping)) SET_ERRNO_RET(ESRCH, -1);
    if (d->pause_count > 1) { d->pause_count--; return 0; }
    if (d->has_workload && d->wl.vcpus && started_vcpus(d) < d->wl.vcpus && vcpus_start(d) < 0) return -1;
    d->pause_count = 0;
    clock_start(d);
    atomic_store(&d->pause_req, 0);
    pthread_cond_broadcast(&d->cond);
    return 0;
}

/* Park until unpaused. Returns false when the domain is being destroyed. */
static bool park(struct vcpu *v) {
    struct domain *d = v->d;
    pthread_mutex_lock(&d->lock);
    d->parked++;
    pthread_cond_broadcast(&d->cond);
    while (atomic_load(&d->pause_req) && !atomic_load(&d->stopping)) pthread_cond_wait(&d->cond, &d->lock);
    d->parked--;
    pthread_mutex_unlock(&d->lock);
    return !atomic_load(&d->stopping);
}

/* Halted vCPUs (steps= reached) stay parked for good. */
static void halt(struct vcpu *v) {
    struct domain *d = v->d;
    pthread_mutex_lock(&d->lock);
    d->parked++;
    d->halted++;
    pthread_cond_broadcast(&d->cond);
    while (!atomic_load(&d->stopping)) pthread_cond_wait(&d->cond, &d->lock);
    pthread_mutex_unlock(&d->lock);
}

/* Sleep until guest time `until`, waking early on pause or destroy. */
static void sleep_until(struct domain *d, uint64_t until_guest) {
    uint64_t now = guest_now_ns(d);
    if (now >= until_guest) return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t wake = ns_of(&ts) + (until_guest - now);
    ts.tv_sec = (time_t)(wake / 1000000000ULL);
    ts.tv_nsec = (long)(wake % 1000000000ULL);
    pthread_mutex_lock(&d->lock);
    while (!atomic_load(&d->pause_req) && !atomic_load(&d->stopping))
        if (pthread_cond_timedwait(&d->cond, &d->lock, &ts) == ETIMEDOUT) break;
    pthread_mutex_unlock(&d->lock);
}

/* ---------------------------------------------------------------- steps */

static inline uint64_t own_page(const struct workload *w, uint32_t vcpu, uint64_t first, uint64_t count, uint64_t k) {
    /* k-th page of [first, first+count) whose index is vcpu modulo vcpus */
    (void)count;
    return w->ws_first + first + vcpu + k * w->vcpus;
}

static inline uint64_t own_count(const struct workload *w, uint32_t vcpu, uint64_t count) {
    return count / w->vcpus + (vcpu < count % w->vcpus ? 1 : 0);
}

static inline void write_page(struct vcpu *v, uint64_t pfn) {
    struct domain *d = v->d;
    uint64_t val = splitmix64(d->wl.seed ^ ((uint64_t)v->idx << 56) ^ v->seq) | 1;
    uint64_t *page = (uint64_t *)(d->ram + (pfn << PAGE_SHIFT));
    if (d->wl.fill == 8) {
        ((volatile uint64_t *)page)[(v->seq * 67 + v->idx) & 511] = val;
    } else {
        uint64_t s = val;
        for (int i = 0; i < 512; i++) page[i] = xorshift64s(&s) | 1;
    }
    uint8_t bit = (uint8_t)(1u << (pfn & 7));
    if (!(v->written[pfn >> 3] & bit)) __atomic_fetch_or(&v->written[pfn >> 3], bit, __ATOMIC_RELAXED);
    atomic_store_explicit(&v->writes, atomic_load_explicit(&v->writes, memory_order_relaxed) + 1, memory_order_relaxed);
}

static inline uint64_t uniform(struct vcpu *v, uint64_t n) { return n ? xorshift64s(&v->rng) % n : 0; }
static inline double unit(struct vcpu *v) { return (double)(xorshift64s(&v->rng) >> 11) * 0x1.0p-53; }

static inline unsigned lat_bucket(uint64_t ns) {
    if (ns < 8) return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns);
    unsigned i = (e - 2) * 8 + (unsigned)((ns >> (e - 3)) & 7);
    return i < XMIGSIM_LAT_BUCKETS ? i : XMIGSIM_LAT_BUCKETS - 1;
}

/* kv: the working set is a hash table of 64-byte buckets; vCPU i serves the shard on its own pages. */
static void kv_request(struct vcpu *v) {
    struct domain *d = v->d;
    const struct workload *w = &d->wl;
    uint64_t t0 = mono_ns();
    uint64_t shard_pages = own_count(w, v->idx, w->ws_pages);
    uint64_t key = xorshift64s(&v->rng);
    bool put = unit(v) < w->put_share;
    uint64_t h = splitmix64(key);
    uint64_t acc = 0;
    for (int probe = 0; probe < 4; probe++) {               /* linear probing over 4 buckets */
        uint64_t b = (h + (uint64_t)probe) % (shard_pages * 64);
        uint64_t pfn = own_page(w, v->idx, 0, w->ws_pages, b / 64);
        volatile uint64_t *bucket = (volatile uint64_t *)(d->ram + (pfn << PAGE_SHIFT) + (b % 64) * 64);
        acc += bucket[0] ^ bucket[1];
        if (put && probe == 3) {
            bucket[0] = key;
            for (int i = 1; i < 8; i++) bucket[i] = splitmix64(key + (uint64_t)i + v->seq) | 1;
            uint8_t bit = (uint8_t)(1u << (pfn & 7));
            if (!(v->written[pfn >> 3] & bit)) __atomic_fetch_or(&v->written[pfn >> 3], bit, __ATOMIC_RELAXED);
            atomic_fetch_add_explicit(&v->writes, 1, memory_order_relaxed);
        }
    }
    atomic_store_explicit(&v->read_sum, atomic_load_explicit(&v->read_sum, memory_order_relaxed) + acc, memory_order_relaxed);
    atomic_fetch_add_explicit(&v->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&v->lat[lat_bucket(mono_ns() - t0)], 1, memory_order_relaxed);
}

/* One workload step of vCPU v. */
static void step(struct vcpu *v) {
    const struct workload *w = &v->d->wl;
    switch (w->kind) {
    case WL_SWEEP: {
        uint64_t n = own_count(w, v->idx, w->ws_pages);
        write_page(v, own_page(w, v->idx, 0, w->ws_pages, v->seq % n));
        break;
    }
    case WL_RANDOM:
    case WL_PHASED:
    case WL_TRACE:
        write_page(v, own_page(w, v->idx, 0, w->ws_pages, uniform(v, own_count(w, v->idx, w->ws_pages))));
        break;
    case WL_HOTCOLD:
        if (unit(v) < w->hot_share)
            write_page(v, own_page(w, v->idx, 0, w->hot_pages, uniform(v, own_count(w, v->idx, w->hot_pages))));
        else {
            uint64_t cold = w->ws_pages - w->hot_pages;
            /* cold region starts at hot_pages; keep the vCPU's residue class */
            uint64_t first = w->hot_pages + ((v->idx + w->vcpus - w->hot_pages % w->vcpus) % w->vcpus);
            uint64_t n = first - w->hot_pages < cold ? (cold - (first - w->hot_pages) + w->vcpus - 1) / w->vcpus : 0;
            if (n) write_page(v, w->ws_first + first + uniform(v, n) * w->vcpus);
        }
        break;
    case WL_KV:
        kv_request(v);
        break;
    case WL_CPU:
        write_page(v, own_page(w, v->idx, 0, w->ws_pages, 0));   /* a heartbeat word */
        break;
    case WL_IDLE:
        break;
    }
    __atomic_store_n(&v->seq, v->seq + 1, __ATOMIC_RELAXED);
}

/* Steps per second and CPU share this vCPU runs at, at guest time t. rate < 0: as fast as it can. */
static void pace_at(const struct workload *w, uint64_t t, double *rate, double *util) {
    double r = w->rate, u = 0;
    switch (w->kind) {
    case WL_IDLE: r = 0; break;
    case WL_PHASED: {
        uint64_t cycle = w->quiet_ns + w->burst_ns;
        r = (t % cycle) < w->quiet_ns ? w->quiet_rate : w->rate;
        break;
    }
    case WL_CPU: r = 1000.0 * w->vcpus / 10; u = w->util; break;   /* a heartbeat every 10 ms */
    case WL_TRACE: {
        uint64_t s = (t / 1000000000ULL) % w->trace_len;
        r = w->trace_rate[s];
        u = w->trace_util[s];
        break;
    }
    default: break;
    }
    *rate = r < 0 ? -1 : r / w->vcpus;
    *util = u;
}

static void burn_until(struct domain *d, uint64_t until_guest) {
    volatile uint64_t x = 1;
    while (guest_now_ns(d) < until_guest && !atomic_load_explicit(&d->pause_req, memory_order_relaxed))
        for (int i = 0; i < 2000; i++) x = x * 6364136223846793005ULL + 1;
}

static void *vcpu_main(void *arg) {
    struct vcpu *v = arg;
    struct domain *d = v->d;
    const struct workload *w = &d->wl;
    char name[16];
    snprintf(name, sizeof name, "xmigsim-vcpu%u", v->idx);
    pthread_setname_np(pthread_self(), name);
    double credit = 0;
    uint64_t last = guest_now_ns(d);
    while (!atomic_load_explicit(&d->stopping, memory_order_acquire)) {
        if (atomic_load_explicit(&d->pause_req, memory_order_acquire)) {
            if (!park(v)) break;
            last = guest_now_ns(d);
            continue;
        }
        if (w->steps && v->seq >= w->steps) { halt(v); break; }
        uint64_t slice_start = guest_now_ns(d);
        double rate, util;
        pace_at(w, slice_start, &rate, &util);
        bool unlimited = rate < 0;
        if (!unlimited) {
            credit += rate * (double)(slice_start - last) * 1e-9;
            if (credit > rate * MAX_CREDIT_S + 1) credit = rate * MAX_CREDIT_S + 1;
        }
        last = slice_start;
        /* Work owed: bursts of up to BURST steps, each burst timed (its length bounds the longest stall). */
        while ((unlimited || credit >= 1) && !atomic_load_explicit(&d->pause_req, memory_order_acquire)) {
            int n = unlimited ? BURST : (int)fmin(credit, BURST);
            if (w->steps && v->seq + (uint64_t)n > w->steps) n = (int)(w->steps - v->seq);
            if (n <= 0) break;
            uint64_t t0 = mono_ns();
            for (int i = 0; i < n; i++) step(v);
            uint64_t dt = mono_ns() - t0;
            if (dt > atomic_load_explicit(&v->max_stall_ns, memory_order_relaxed))
                atomic_store_explicit(&v->max_stall_ns, dt, memory_order_relaxed);
            if (!unlimited) credit -= n;
            if (guest_now_ns(d) - slice_start >= SLICE_NS) break;
        }
        if (util > 0) burn_until(d, slice_start + (uint64_t)(util * SLICE_NS));
        if (!unlimited) sleep_until(d, slice_start + SLICE_NS);
    }
    return NULL;
}

/* d->lock held */
int vcpus_start(struct domain *d) {
    if (atomic_load(&d->stopping)) SET_ERRNO_RET(ESRCH, -1);
    for (uint32_t i = 0; i < d->wl.vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        if (v->started) continue;
        if (!v->written && !(v->written = calloc((d->pages + 7) / 8, 1))) SET_ERRNO_RET(ENOMEM, -1);
        int e = pthread_create(&v->thread, NULL, vcpu_main, v);
        if (e) SET_ERRNO_RET(e, -1);
        v->started = true;
    }
    return 0;
}

/* Stops and joins every vCPU. They are marked not started under the lock first, so that nobody (counters, pause)
 * uses a thread handle that is being joined. */
void vcpus_stop(struct domain *d) {
    pthread_t threads[MAX_VCPUS];
    uint32_t n = 0;
    pthread_mutex_lock(&d->lock);
    atomic_store(&d->stopping, 1);
    for (uint32_t i = 0; i < MAX_VCPUS; i++)
        if (d->vcpu[i].started) { threads[n++] = d->vcpu[i].thread; d->vcpu[i].started = false; }
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    for (uint32_t i = 0; i < n; i++) pthread_join(threads[i], NULL);
}
