/*
 * foreign.c - libxenforeignmemory: map any list of a domain's pages at a fresh address, as Xen's privcmd
 * does. Guest RAM is a memfd, so each contiguous run of pfns becomes one MAP_SHARED|MAP_FIXED mapping of the
 * file inside a reserved range: the mapping is live (it sees the guest's later writes) and reading through it
 * does not mark pages dirty (it is not the vCPUs' registered view). Pages that cannot be mapped (beyond the
 * domain: -EINVAL; not yet arrived on a destination: -ENOENT, as Xen reports paged-out frames) are left
 * inaccessible and reported in err[].
 */
#include "sim.h"

#include <stdlib.h>
#include <sys/mman.h>

#define FMEM_MAGIC 0x666d656du

struct xenforeignmemory_handle {
    uint32_t magic;
    pthread_mutex_t lock;
    struct fmap { void *addr; size_t pages; struct fmap *next; } *maps;
};

API xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger, unsigned int open_flags) {
    xenforeignmemory_handle *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->magic = FMEM_MAGIC;
    pthread_mutex_init(&h->lock, NULL);
    return h;
}

API int xenforeignmemory_close(xenforeignmemory_handle *h) {
    if (!h) return 0;
    if (h->magic != FMEM_MAGIC) SET_ERRNO_RET(EINVAL, -1);
    for (struct fmap *m = h->maps, *n; m; m = n) { n = m->next; munmap(m->addr, m->pages << PAGE_SHIFT); free(m); }
    h->magic = 0;
    pthread_mutex_destroy(&h->lock);
    free(h);
    return 0;
}

API void *xenforeignmemory_map(xenforeignmemory_handle *h, uint32_t dom, int prot, size_t pages,
                               const xen_pfn_t arr[], int err[]) {
    if (!h || h->magic != FMEM_MAGIC || !arr || pages == 0 || pages > (1UL << 30)
        || (prot & ~(PROT_READ | PROT_WRITE)))
        SET_ERRNO_RET(EINVAL, NULL);
    struct domain *d = dom_get(dom);
    if (!d) return NULL;
    struct fmap *m = malloc(sizeof *m);
    uint8_t *base = mmap(NULL, pages << PAGE_SHIFT, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (!m || base == MAP_FAILED) { free(m); dom_put(d); SET_ERRNO_RET(ENOMEM, NULL); }
    int first_err = 0;
    size_t i = 0;
    while (i < pages) {
        int e = 0;
        if (arr[i] >= d->pages) e = -EINVAL;
        else if (!page_present(d, arr[i])) e = -ENOENT;
        if (e) {
            if (err) err[i] = e;
            if (!first_err) first_err = -e;
            i++;
            continue;
        }
        size_t j = i + 1;                                   /* extend over consecutive present pfns */
        while (j < pages && arr[j] == arr[j - 1] + 1 && arr[j] < d->pages && page_present(d, arr[j])) j++;
        void *r = mmap(base + (i << PAGE_SHIFT), (j - i) << PAGE_SHIFT, prot, MAP_SHARED | MAP_FIXED,
                       d->memfd, (off_t)(arr[i] << PAGE_SHIFT));
        for (size_t k = i; k < j; k++) {
            if (r == MAP_FAILED && !first_err) first_err = errno;
            if (err) err[k] = r == MAP_FAILED ? -errno : 0;
        }
        i = j;
    }
    dom_put(d);
    if (first_err && !err) {                                 /* without err[], any failure fails the call */
        munmap(base, pages << PAGE_SHIFT);
        free(m);
        SET_ERRNO_RET(first_err, NULL);
    }
    pthread_mutex_lock(&h->lock);
    *m = (struct fmap){ base, pages, h->maps };
    h->maps = m;
    pthread_mutex_unlock(&h->lock);
    return base;
}

API int xenforeignmemory_unmap(xenforeignmemory_handle *h, void *addr, size_t pages) {
    if (!h || h->magic != FMEM_MAGIC) SET_ERRNO_RET(EINVAL, -1);
    struct fmap *found = NULL;
    pthread_mutex_lock(&h->lock);
    for (struct fmap **pp = &h->maps; *pp; pp = &(*pp)->next)
        if ((*pp)->addr == addr && (*pp)->pages == pages) { found = *pp; *pp = found->next; break; }
    pthread_mutex_unlock(&h->lock);
    if (!found) SET_ERRNO_RET(EINVAL, -1);
    munmap(found->addr, found->pages << PAGE_SHIFT);
    free(found);
    return 0;
}
