/*
 * demand.c - destination demand paging: pages that have not arrived are missing in the uffd's sense, so a
 * vCPU touching one blocks in the kernel; the handler thread queues the page number once (the fault queue,
 * readable through an eventfd) and xmig installs the page with UFFDIO_COPY, which fills it atomically and
 * wakes every vCPU waiting on it. Pages already present are overwritten (pre-copy, guest paused) or kept
 * (post-copy, the guest may have written them since), as the caller says.
 */
#include "sim.h"

#include <stdlib.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/ioctl.h>

/* Contiguous pages go in one UFFDIO_COPY up to this many (measured: 16-64 reach ~1 M pages/s). */
#define INSTALL_BATCH 64

int demand_init(struct domain *d) {
    uint64_t words = (d->pages + 63) / 64;
    d->present = calloc(words, sizeof(uint64_t));
    d->fq_queued = calloc(words, sizeof(uint64_t));
    d->fq = malloc(d->pages * sizeof(uint64_t));
    d->fault_evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!d->present || !d->fq_queued || !d->fq || d->fault_evfd < 0) { if (!errno) errno = ENOMEM; return -1; }
    return 0;
}

void demand_free(struct domain *d) {
    free((void *)d->present);
    free(d->fq_queued);
    free(d->fq);
    d->present = NULL;
}

/* handler thread */
void demand_fault(struct domain *d, uint64_t addr) {
    uint64_t pfn = (addr - (uint64_t)(uintptr_t)d->ram) >> PAGE_SHIFT;
    atomic_fetch_add(&d->faults, 1);
    if (!d->present) return;
    pthread_mutex_lock(&d->fq_lock);
    if (page_present(d, pfn)) {
        /* Installed between the fault and now: the install woke it unless it raced; wake to be sure. */
        struct uffdio_range r = { addr, PAGE_SIZE };
        ioctl(d->uffd, UFFDIO_WAKE, &r);
    } else if (!((d->fq_queued[pfn >> 6] >> (pfn & 63)) & 1)) {
        d->fq_queued[pfn >> 6] |= 1ULL << (pfn & 63);
        d->fq[(d->fq_head + d->fq_len) % d->pages] = pfn;
        d->fq_len++;
        uint64_t one = 1;
        if (write(d->fault_evfd, &one, sizeof one) < 0) { /* counter overflow cannot happen */ }
    }
    pthread_mutex_unlock(&d->fq_lock);
}

static void mark_present(struct domain *d, uint64_t first, uint64_t count) {
    uint64_t newly = 0;
    for (uint64_t p = first; p < first + count; p++) {
        uint64_t bit = 1ULL << (p & 63);
        if (!(atomic_fetch_or_explicit(&d->present[p >> 6], bit, memory_order_release) & bit)) newly++;
    }
    atomic_fetch_add(&d->present_count, newly);
    pthread_mutex_lock(&d->fq_lock);
    for (uint64_t p = first; p < first + count; p++) d->fq_queued[p >> 6] &= ~(1ULL << (p & 63));
    pthread_mutex_unlock(&d->fq_lock);
}

/* Fill missing pages [first, first+count) with UFFDIO_COPY (src != NULL) or UFFDIO_ZEROPAGE. A page that
 * turns out present (EEXIST: another installer won) is overwritten or skipped per `overwrite`.
 * Returns pages written, -1 on error. */
static long fill_missing(struct domain *d, uint64_t first, uint64_t count, const uint8_t *src, bool overwrite) {
    long done = 0;
    uint64_t p = first;
    while (p < first + count) {
        uint64_t n = first + count - p;
        if (n > INSTALL_BATCH) n = INSTALL_BATCH;
        uint64_t dst = (uint64_t)(uintptr_t)d->ram + (p << PAGE_SHIFT);
        int64_t got;
        int r;
        if (src) {
            struct uffdio_copy c = { .dst = dst, .src = (uint64_t)(uintptr_t)(src + ((p - first) << PAGE_SHIFT)),
                                     .len = n << PAGE_SHIFT, .mode = 0 };
            r = ioctl(d->uffd, UFFDIO_COPY, &c);
            got = c.copy;
        } else {
            struct uffdio_zeropage z = { .range = { dst, n << PAGE_SHIFT }, .mode = 0 };
            r = ioctl(d->uffd, UFFDIO_ZEROPAGE, &z);
            got = z.zeropage;
        }
        if (r == 0) got = (int64_t)(n << PAGE_SHIFT);
        if (got > 0) {                                   /* whole batch, or partial (EAGAIN) */
            uint64_t ok = (uint64_t)got >> PAGE_SHIFT;
            mark_present(d, p, ok);
            done += (long)ok;
            p += ok;
            continue;
        }
        if (errno == EEXIST) {                           /* page p is present: someone installed it */
            if (overwrite) {
                uint8_t *to = d->ram + (p << PAGE_SHIFT);
                if (src) memcpy(to, src + ((p - first) << PAGE_SHIFT), PAGE_SIZE); else memset(to, 0, PAGE_SIZE);
                done++;
            }
            mark_present(d, p, 1);
            struct uffdio_range w = { dst, PAGE_SIZE };
            ioctl(d->uffd, UFFDIO_WAKE, &w);
            p++;
            continue;
        }
        if (errno == EAGAIN || errno == EINTR) continue;
        return -1;
    }
    return done;
}

static long install(xc_interface *xch, uint32_t domid, uint64_t first, uint64_t count, const uint8_t *src, unsigned int flags) {
    if (!xch_valid(xch) || (flags & ~XMIGSIM_INSTALL_IF_MISSING)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    long rc = 0;
    bool overwrite = !(flags & XMIGSIM_INSTALL_IF_MISSING);
    if (count == 0 || first >= d->pages || count > d->pages - first) { errno = EINVAL; rc = -1; goto out; }
    if (!d->present) {                                   /* a source domain: its memory is all present */
        if (overwrite) {
            if (src) memcpy(d->ram + (first << PAGE_SHIFT), src, count << PAGE_SHIFT);
            else memset(d->ram + (first << PAGE_SHIFT), 0, count << PAGE_SHIFT);
            rc = (long)count;
        }
        goto out;
    }
    uint64_t p = first;
    while (p < first + count && rc >= 0) {
        uint64_t q = p;                                  /* run of pages with the same presence */
        bool present = page_present(d, p);
        while (q < first + count && page_present(d, q) == present) q++;
        if (present) {
            if (overwrite) {
                uint8_t *to = d->ram + (p << PAGE_SHIFT);
                if (src) memcpy(to, src + ((p - first) << PAGE_SHIFT), (q - p) << PAGE_SHIFT);
                else memset(to, 0, (q - p) << PAGE_SHIFT);
                rc += (long)(q - p);
            }
        } else {
            long n = fill_missing(d, p, q - p, src ? src + ((p - first) << PAGE_SHIFT) : NULL, overwrite);
            rc = n < 0 ? -1 : rc + n;
        }
        p = q;
    }
out:
    dom_put(d);
    return rc;
}

API long xmigsim_install_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count,
                               const void *src, unsigned int flags) {
    if (!src) SET_ERRNO_RET(EINVAL, -1);
    return install(xch, domid, first_pfn, count, src, flags);
}

API long xmigsim_install_zero_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count,
                                    unsigned int flags) {
    return install(xch, domid, first_pfn, count, NULL, flags);
}

API long xmigsim_discard_pages(xc_interface *xch, uint32_t domid, uint64_t first, uint64_t count) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    long rc = 0;
    if (!d->present) { errno = EINVAL; sim_error("only a destination domain can discard pages"); rc = -1; goto out; }
    if (count == 0 || first >= d->pages || count > d->pages - first) { errno = EINVAL; rc = -1; goto out; }
    if (fallocate(d->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(first << PAGE_SHIFT),
                  (off_t)(count << PAGE_SHIFT)) < 0) { rc = -1; goto out; }
    uint64_t was = 0;
    for (uint64_t p = first; p < first + count; p++) {
        uint64_t bit = 1ULL << (p & 63);
        if (atomic_fetch_and_explicit(&d->present[p >> 6], ~bit, memory_order_acq_rel) & bit) was++;
    }
    atomic_fetch_sub(&d->present_count, was);
    rc = (long)was;
out:
    dom_put(d);
    return rc;
}

API long xmigsim_present_bitmap(xc_interface *xch, uint32_t domid, uint8_t *bitmap, uint64_t pages) {
    if (!xch_valid(xch) || !bitmap) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    long n;
    if (pages < d->pages) { errno = EINVAL; n = -1; }
    else if (!d->present) { memset(bitmap, 0xff, d->pages / 8); if (d->pages & 7) bitmap[d->pages / 8] = (uint8_t)((1u << (d->pages & 7)) - 1); n = (long)d->pages; }
    else {
        for (uint64_t i = 0; i < (d->pages + 7) / 8; i++)
            bitmap[i] = (uint8_t)(atomic_load(&d->present[i / 8]) >> (8 * (i % 8)));
        n = (long)atomic_load(&d->present_count);
    }
    dom_put(d);
    return n;
}

API int xmigsim_fault_fd(xc_interface *xch, uint32_t domid) {
    if (!xch_valid(xch)) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    int fd = d->present ? fcntl(d->fault_evfd, F_DUPFD_CLOEXEC, 0) : -2;
    dom_put(d);
    if (fd == -2) SET_ERRNO_RET(EINVAL, -1);            /* a source domain takes no demand faults */
    return fd;
}

API long xmigsim_fault_read(xc_interface *xch, uint32_t domid, uint64_t *pfns, uint64_t max) {
    if (!xch_valid(xch) || !pfns || max == 0) SET_ERRNO_RET(EINVAL, -1);
    struct domain *d = dom_get(domid);
    if (!d) return -1;
    long n = 0;
    if (!d->present) { errno = EINVAL; n = -1; goto out; }
    pthread_mutex_lock(&d->fq_lock);
    while (d->fq_len && (uint64_t)n < max) {
        pfns[n++] = d->fq[d->fq_head];
        d->fq_head = (d->fq_head + 1) % d->pages;
        d->fq_len--;
    }
    if (!d->fq_len) { uint64_t v; if (read(d->fault_evfd, &v, sizeof v) < 0) { /* already zero */ } }
    pthread_mutex_unlock(&d->fq_lock);
out:
    dom_put(d);
    return n;
}
