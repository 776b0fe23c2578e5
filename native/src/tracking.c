/*
 * tracking.c - log-dirty by the kernel: the domain's userfaultfd, Xen's shadow/log-dirty calls, and the
 * handler thread that serves the uffd's messages (missing-page faults on a destination, write-protect
 * faults under the synchronous fallback).
 *
 * Async mode (kernel >= 6.7): the uffd has UFFD_FEATURE_WP_ASYNC, so the kernel itself un-protects a page
 * on its first write and remembers it as written; PAGEMAP_SCAN with PM_SCAN_WP_MATCHING reads the written
 * pages and re-protects them in one step (CLEAN), without WP_MATCHING it only reads them (PEEK). A write
 * racing with CLEAN is either seen by this scan or faults again and is seen by the next one.
 * Sync mode: every first write to a protected page blocks its vCPU until the handler thread records the page
 * and un-protects it. CLEAN takes the recorded set and re-protects it under dirty_lock, which the handler also
 * holds between recording and un-protecting, so no write escapes both rounds.
 */
#include "sim.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static uint64_t kernel_features;
static bool have_pagemap_scan;
static int pagemap_fd = -1;

static int uffd_open_raw(void) {
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == EPERM)      /* vm.unprivileged_userfaultfd=0: user-mode faults only */
        fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    return fd;
}

static void probe_kernel(void) {
    int fd = uffd_open_raw();
    if (fd >= 0) {
        struct uffdio_api a = { .api = UFFD_API, .features = 0 };
        if (ioctl(fd, UFFDIO_API, &a) == 0) kernel_features = a.features;
        close(fd);
    }
    pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (pagemap_fd >= 0) {
        /* An empty scan: kernels without PAGEMAP_SCAN answer ENOTTY (or EINVAL). */
        static uint8_t probe_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
        struct page_region r;
        struct pm_scan_arg s = { .size = sizeof s, .start = (uint64_t)(uintptr_t)probe_page,
                                 .end = (uint64_t)(uintptr_t)probe_page + PAGE_SIZE, .vec = (uint64_t)(uintptr_t)&r,
                                 .vec_len = 1, .category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN };
        have_pagemap_scan = ioctl(pagemap_fd, PAGEMAP_SCAN, &s) >= 0;
    }
}

bool kernel_has_async_wp(void) {
    pthread_once(&probe_once, probe_kernel);
    return (kernel_features & UFFD_FEATURE_WP_ASYNC) && have_pagemap_scan;
}

int uffd_create(struct domain *d, bool force_sync) {
    const char *env = getenv("XMIGSIM_FORCE_SYNC_WP");
    if (env && *env && strcmp(env, "0") != 0) force_sync = true;
    bool async = !force_sync && kernel_has_async_wp();
    d->tracking = async ? XMIGSIM_TRACKING_ASYNC_WP : XMIGSIM_TRACKING_SYNC_WP;
    d->uffd = uffd_open_raw();
    if (d->uffd < 0) return -1;
    uint64_t want = UFFD_FEATURE_WP_HUGETLBFS_SHMEM | UFFD_FEATURE_THREAD_ID;
    if (kernel_features & UFFD_FEATURE_WP_UNPOPULATED) want |= UFFD_FEATURE_WP_UNPOPULATED;
    if (async) want |= UFFD_FEATURE_WP_ASYNC;
    struct uffdio_api a = { .api = UFFD_API, .features = want & (kernel_features | UFFD_FEATURE_THREAD_ID) };
    if (ioctl(d->uffd, UFFDIO_API, &a) < 0) return -1;
    struct uffdio_register reg = {
        .range = { (uint64_t)(uintptr_t)d->ram, d->pages << PAGE_SHIFT },
        .mode = UFFDIO_REGISTER_MODE_WP | (d->is_dest ? UFFDIO_REGISTER_MODE_MISSING : 0) };
    if (ioctl(d->uffd, UFFDIO_REGISTER, &reg) < 0) return -1;
    return 0;
}

static int wp_range(struct domain *d, uint64_t first, uint64_t count, bool protect) {
    struct uffdio_writeprotect w = {
        .range = { (uint64_t)(uintptr_t)d->ram + (first << PAGE_SHIFT), count << PAGE_SHIFT },
        .mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0 };
    return ioctl(d->uffd, UFFDIO_WRITEPROTECT, &w);
}

/* dirty_lock held */
int tracking_enable(struct domain *d) {
    if (d->logdirty) SET_ERRNO_RET(EINVAL, -1);              /* Xen: already in log-dirty mode */
    if (d->present && atomic_load(&d->present_count) != d->pages) SET_ERRNO_RET(EBUSY, -1);
    if (d->uffd < 0) SET_ERRNO_RET(ESRCH, -1);
    if (d->tracking == XMIGSIM_TRACKING_SYNC_WP) {
        if (!d->sync_dirty && !(d->sync_dirty = calloc((d->pages + 63) / 64, 8))) SET_ERRNO_RET(ENOMEM, -1);
        memset(d->sync_dirty, 0, (d->pages + 63) / 64 * 8);
        if (!d->handler_running && handler_start(d) < 0) return -1;
    } else if (!d->scan_vec) {
        d->scan_vec_len = 4096;
        if (!(d->scan_vec = malloc(d->scan_vec_len * sizeof *d->scan_vec))) SET_ERRNO_RET(ENOMEM, -1);
    }
    if (wp_range(d, 0, d->pages, true) < 0) return -1;
    d->dirty_count = d->fault_count = 0;
    d->logdirty = true;
    return 0;
}

/* dirty_lock held */
int tracking_disable(struct domain *d) {
    if (!d->logdirty) return 0;
    d->logdirty = false;
    if (d->uffd >= 0 && wp_range(d, 0, d->pages, false) < 0) return -1;
    return 0;
}

/* Async: one pass of PAGEMAP_SCAN over the domain's RAM, looping until the kernel has walked it all. */
static long scan_written(struct domain *d, uint8_t *bitmap, bool clean) {
    uint64_t base = (uint64_t)(uintptr_t)d->ram, end = base + (d->pages << PAGE_SHIFT), start = base;
    long n = 0;
    while (start < end) {
        struct pm_scan_arg s = {
            .size = sizeof s, .flags = (clean ? PM_SCAN_WP_MATCHING : 0) | PM_SCAN_CHECK_WPASYNC,
            .start = start, .end = end, .vec = (uint64_t)(uintptr_t)d->scan_vec, .vec_len = d->scan_vec_len,
            .category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN };
        int r = ioctl(pagemap_fd, PAGEMAP_SCAN, &s);
        if (r < 0) return -1;
        for (int i = 0; i < r; i++) {
            uint64_t p = (d->scan_vec[i].start - base) >> PAGE_SHIFT, q = (d->scan_vec[i].end - base) >> PAGE_SHIFT;
            n += (long)(q - p);
            if (!bitmap) continue;
            for (; p < q && (p & 7); p++) bitmap_set(bitmap, p);
            for (; p + 8 <= q; p += 8) bitmap[p >> 3] = 0xff;
            for (; p < q; p++) bitmap_set(bitmap, p);
        }
        if (s.walk_end <= start) SET_ERRNO_RET(EIO, -1);
        start = s.walk_end;
    }
    return n;
}

/* Sync: copy the recorded set; on CLEAN re-protect it and forget it. */
static long take_recorded(struct domain *d, uint8_t *bitmap, bool clean) {
    long n = 0;
    uint64_t words = (d->pages + 63) / 64;
    for (uint64_t w = 0; w < words; w++) {
        uint64_t bits = d->sync_dirty[w];
        if (!bits) continue;
        n += __builtin_popcountll(bits);
        if (bitmap)
            for (int b = 0; b < 8; b++) {
                uint64_t byte = w * 8 + (uint64_t)b;
                if (byte < (d->pages + 7) / 8) bitmap[byte] = (uint8_t)(bits >> (8 * b));
            }
        if (!clean) continue;
        d->sync_dirty[w] = 0;
        while (bits) {                                /* re-protect each run of set bits */
            int lo = __builtin_ctzll(bits);
            uint64_t rest = bits >> lo;
            int len = (~rest == 0) ? 64 - lo : __builtin_ctzll(~rest);
            if (wp_range(d, w * 64 + (uint64_t)lo, (uint64_t)len, true) < 0) return -1;
            bits = len + lo >= 64 ? 0 : bits & ~(((1ULL << len) - 1) << lo);
        }
    }
    return n;
}

/* dirty_lock held. bitmap may be NULL (count only). */
long tracking_collect(struct domain *d, uint8_t *bitmap, bool clean) {
    if (bitmap) memset(bitmap, 0, (d->pages + 7) / 8);
    long n = d->tracking == XMIGSIM_TRACKING_ASYNC_WP ? scan_written(d, bitmap, clean) : take_recorded(d, bitmap, clean);
    if (n < 0) {
        /* Part of the dirty set may already be re-protected or forgotten: the caller gets an error and the next
         * CLEAN or PEEK reports every page, so nothing is lost. */
        d->report_all = true;
        return -1;
    }
    if (d->report_all) {
        if (bitmap) {
            memset(bitmap, 0xff, d->pages / 8);
            if (d->pages & 7) bitmap[d->pages / 8] = (uint8_t)((1u << (d->pages & 7)) - 1);
        }
        n = (long)d->pages;
        if (clean) d->report_all = false;
    }
    if (d->tracking == XMIGSIM_TRACKING_ASYNC_WP) { d->dirty_count = (uint32_t)n; d->fault_count = (uint32_t)n; }
    else d->dirty_count = (uint32_t)n;
    return n;
}

/* handler thread, sync mode: record the page and let the vCPU go on. */
void tracking_wp_fault(struct domain *d, uint64_t pfn) {
    pthread_mutex_lock(&d->dirty_lock);
    if (d->logdirty && d->sync_dirty) {
        d->sync_dirty[pfn >> 6] |= 1ULL << (pfn & 63);
        d->fault_count++;
    }
    atomic_fetch_add(&d->wp_faults, 1);
    wp_range(d, pfn, 1, false);                      /* also wakes the faulting vCPU */
    pthread_mutex_unlock(&d->dirty_lock);
}

static void *handler_main(void *arg) {
    struct domain *d = arg;
    pthread_setname_np(pthread_self(), "xmigsim-uffd");
    struct uffd_msg msgs[64];
    struct pollfd p[2] = { { .fd = d->uffd, .events = POLLIN }, { .fd = d->handler_stop_evfd, .events = POLLIN } };
    for (;;) {
        if (poll(p, 2, -1) < 0) { if (errno == EINTR) continue; break; }
        if (p[1].revents) break;
        ssize_t r = read(d->uffd, msgs, sizeof msgs);
        if (r < 0) { if (errno == EAGAIN || errno == EINTR) continue; break; }
        for (ssize_t i = 0; i < r / (ssize_t)sizeof *msgs; i++) {
            if (msgs[i].event != UFFD_EVENT_PAGEFAULT) continue;
            uint64_t addr = msgs[i].arg.pagefault.address & ~(PAGE_SIZE - 1);
            uint64_t pfn = (addr - (uint64_t)(uintptr_t)d->ram) >> PAGE_SHIFT;
            if (pfn >= d->pages) continue;
            if (msgs[i].arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) tracking_wp_fault(d, pfn);
            else demand_fault(d, addr);
        }
    }
    return NULL;
}

int handler_start(struct domain *d) {
    if (d->handler_running) return 0;
    if (atomic_load(&d->stopping)) SET_ERRNO_RET(ESRCH, -1);
    int e = pthread_create(&d->handler, NULL, handler_main, d);
    if (e) SET_ERRNO_RET(e, -1);
    d->handler_running = true;
    return 0;
}

void handler_stop(struct domain *d) {
    if (!d->handler_running) return;
    uint64_t one = 1;
    if (write(d->handler_stop_evfd, &one, sizeof one) < 0) { /* eventfd write cannot fail here */ }
    pthread_join(d->handler, NULL);
    d->handler_running = false;
}

/* ---------------------------------------------------------------- libxenctrl: shadow / log-dirty */

API int xc_shadow_control(xc_interface *xch, uint32_t domid, unsigned int sop, unsigned int *mb, unsigned int mode) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    int rc = 0;
    pthread_mutex_lock(&d->dirty_lock);
    switch (sop) {
    case XEN_DOMCTL_SHADOW_OP_OFF:
        rc = tracking_disable(d);
        break;
    case XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY:
        rc = tracking_enable(d);
        break;
    case XEN_DOMCTL_SHADOW_OP_ENABLE:
        if (mode == XEN_DOMCTL_SHADOW_ENABLE_LOG_DIRTY) rc = tracking_enable(d);
        else { errno = EOPNOTSUPP; rc = -1; }       /* Debian's Xen has no shadow paging (XSA-495) */
        break;
    case XEN_DOMCTL_SHADOW_OP_CLEAN:
    case XEN_DOMCTL_SHADOW_OP_PEEK:
        if (!d->logdirty) { errno = EINVAL; rc = -1; }
        else rc = tracking_collect(d, NULL, sop == XEN_DOMCTL_SHADOW_OP_CLEAN) < 0 ? -1 : 0;
        break;
    case XEN_DOMCTL_SHADOW_OP_GET_ALLOCATION:
        if (mb) *mb = 0;
        break;
    default:
        errno = EINVAL;
        rc = -1;
    }
    pthread_mutex_unlock(&d->dirty_lock);
    dom_put(d);
    return rc;
}

API long long xc_logdirty_control(xc_interface *xch, uint32_t domid, unsigned int sop,
                                  xc_hypercall_buffer_t *dirty_bitmap, unsigned long pages,
                                  unsigned int mode, xc_shadow_op_stats_t *stats) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    if (sop != XEN_DOMCTL_SHADOW_OP_CLEAN && sop != XEN_DOMCTL_SHADOW_OP_PEEK) SET_ERRNO_RET(EINVAL, -1);
    if (mode & ~XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    long long rc;
    uint8_t *bitmap = dirty_bitmap ? dirty_bitmap->hbuf : NULL;
    if (bitmap) {
        /* A bitmap that cannot hold every page would lose dirty bits: refuse it. */
        if (pages < d->pages || hcbuf_size(xch, bitmap) < (d->pages + 7) / 8) { rc = -1; errno = EINVAL; goto out; }
    }
    pthread_mutex_lock(&d->dirty_lock);
    if (!d->logdirty) { errno = EINVAL; rc = -1; }
    else {
        long n = tracking_collect(d, bitmap, sop == XEN_DOMCTL_SHADOW_OP_CLEAN);
        if (n < 0) rc = -1;
        else {
            if (stats) { stats->dirty_count = d->dirty_count; stats->fault_count = d->fault_count; }
            if (sop == XEN_DOMCTL_SHADOW_OP_CLEAN) d->fault_count = 0;
            rc = (long long)d->pages;
        }
    }
    pthread_mutex_unlock(&d->dirty_lock);
out:
    dom_put(d);
    return rc;
}
