/*
 * xmigsim.h - the simulator-only part of libxmigsim.so.
 *
 * libxmigsim.so exports the subset of libxenctrl and libxenforeignmemory that xmig calls, with the
 * Xen 4.17 signatures (it includes <xenctrl.h> and <xenforeignmemory.h>, so the compiler checks them),
 * plus the calls below, which a real hypervisor does not have: create a simulated domain running a
 * workload, create an empty destination domain whose pages are all missing, install pages into it
 * (demand paging), read its page-fault queue, read workload counters, destroy.
 *
 * Every call returns -1 (or NULL) with errno set on failure and never crashes the process on bad input.
 */
#ifndef XMIGSIM_H
#define XMIGSIM_H

#include <stdint.h>
#include <xenctrl.h>

#define XMIGSIM_ABI_VERSION 1

/* Creation flags. */
#define XMIGSIM_CREATE_PAUSED    (1u << 0)  /* vCPUs do not run until xc_domain_unpause */
#define XMIGSIM_TRACK_SYNC_WP    (1u << 1)  /* force the synchronous write-protect fallback for log-dirty */

/* Install flags. */
#define XMIGSIM_INSTALL_OVERWRITE  0u        /* a page already present is overwritten (pre-copy: guest paused) */
#define XMIGSIM_INSTALL_IF_MISSING (1u << 0) /* a page already present is kept (post-copy: guest may have written it) */

/* Dirty-tracking mechanism of a domain (xmigsim_tracking_mode). */
#define XMIGSIM_TRACKING_ASYNC_WP 1   /* userfaultfd WP_ASYNC + PAGEMAP_SCAN (kernel >= 6.7) */
#define XMIGSIM_TRACKING_SYNC_WP  2   /* userfaultfd synchronous WP faults, handled by a library thread */

/* Domain states reported in xmigsim_counters.state. */
#define XMIGSIM_STATE_RUNNING 1
#define XMIGSIM_STATE_PAUSED  2
#define XMIGSIM_STATE_HALTED  3   /* every vCPU reached its steps= limit */

/* Latency histogram: log-linear buckets over nanoseconds, 8 sub-buckets per power of two.
 * Bucket i < 8 holds value i; bucket i >= 8 holds [lo, lo + 2^(e-3)) with e = i/8 + 2, lo = (8 + i%8) << (e-3).
 * 64-bit values reach bucket 495 at most; the array is 512 long for alignment and the rest stays zero. */
#define XMIGSIM_LAT_BUCKETS 512

/* xc_domain_hvm_getcontext(xch, domid, NULL, 0) returns the size of a domain's context. Besides Xen's HEADER,
 * CPU (one per vCPU, workload position in the registers) and END records it holds one record of this type. */
#define XMIGSIM_HVM_SAVE_CODE_WORKLOAD 100  /* typecode of the record that holds the workload spec */

struct xmigsim_counters {
    uint64_t writes;          /* guest memory writes since creation (all vCPUs, carried across setcontext) */
    uint64_t steps;           /* workload steps (a write, a request, a cpu heartbeat); idle takes none */
    uint64_t requests;        /* kv requests served */
    uint64_t run_ns;          /* guest time: nanoseconds the vCPUs were runnable (not paused) */
    uint64_t cpu_ns;          /* CPU time consumed by the vCPU threads */
    uint64_t max_stall_ns;    /* longest burst of up to 32 steps (a step blocked on a missing page shows here) */
    uint64_t faults;          /* demand faults taken on missing pages (destination) */
    uint64_t pages_present;   /* pages present in RAM (all, on a source; installed ones, on a destination) */
    uint64_t wp_faults;       /* write-protect faults handled (sync fallback only) */
    uint64_t read_sum;        /* checksum of the words the kv workload read (sum of word0^word1 of each bucket probed);
                                 equal sums: the same bytes were read. Carried by the context */
    uint32_t vcpus;
    uint32_t state;           /* XMIGSIM_STATE_* */
};

/* Version of this header the library was built with. */
int xmigsim_abi_version(void);

/* A sentence on why this thread's last xmigsim_ or context call failed ("" if it gave no detail). */
const char *xmigsim_last_error(void);

/* Simulated domain of `pages` 4 KiB pages running `workload` (grammar: docs/WORKLOADS.md).
 * `seed` is used when the spec has no seed=. RAM starts filled with non-zero, non-repeating data
 * (except zero= regions). The domain id is written to *domid. */
int xmigsim_domain_create(xc_interface *xch, uint64_t pages, const char *workload, uint64_t seed,
                          unsigned int flags, uint32_t *domid);

/* Destination domain: `pages` pages, all missing, paused, no workload until xc_domain_hvm_setcontext.
 * Only XMIGSIM_TRACK_SYNC_WP applies (for when it later becomes a migration source). 
 * A vCPU that touches a missing page blocks in the kernel until the page is installed. */
int xmigsim_domain_create_dest(xc_interface *xch, uint64_t pages, unsigned int flags, uint32_t *domid);

int xmigsim_domain_destroy(xc_interface *xch, uint32_t domid);

/* Install `count` pages starting at `first_pfn` from `src` (count * 4096 bytes). Missing pages are
 * filled atomically (UFFDIO_COPY), waking any vCPU waiting on them. Returns the number of pages written. */
long xmigsim_install_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count,
                           const void *src, unsigned int flags);

/* Same for zero pages (UFFDIO_ZEROPAGE when missing, memset when present and OVERWRITE). */
long xmigsim_install_zero_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count,
                                unsigned int flags);

/* Makes pages of a destination missing again (post-copy: pages the source has rewritten since it sent them). The
 * memory is released (fallocate PUNCH_HOLE on the guest's memfd, which also unmaps it everywhere); the next vCPU access
 * faults. Returns the number of pages that were present. */
long xmigsim_discard_pages(xc_interface *xch, uint32_t domid, uint64_t first_pfn, uint64_t count);

/* Presence bitmap of a destination (bit n = page n present), Xen bitmap format. Returns pages present. */
long xmigsim_present_bitmap(xc_interface *xch, uint32_t domid, uint8_t *bitmap, uint64_t pages);

/* A new file descriptor (the caller closes it) that polls readable while the domain has page faults queued.
 * It also turns readable when the domain is destroyed; xmigsim_fault_read then fails with ESRCH. */
int xmigsim_fault_fd(xc_interface *xch, uint32_t domid);

/* Dequeue up to `max` faulting page numbers (each missing page at most once until installed).
 * Returns how many were written to pfns, 0 if none. */
long xmigsim_fault_read(xc_interface *xch, uint32_t domid, uint64_t *pfns, uint64_t max);

int xmigsim_counters(xc_interface *xch, uint32_t domid, struct xmigsim_counters *out);

/* The workload's own record of the pages it wrote since the last clear (Xen bitmap format, bit n of
 * byte n/8). Exact when the domain is paused. Returns the number of distinct pages. */
long xmigsim_written_pages(xc_interface *xch, uint32_t domid, uint8_t *bitmap, uint64_t pages, int clear);

/* Request-latency histogram of kv workloads: XMIGSIM_LAT_BUCKETS counts into buckets. 0 or -1. */
int xmigsim_latency_histogram(xc_interface *xch, uint32_t domid, uint64_t *buckets, uint32_t nbuckets, int clear);

/* The guest writes: one 8-byte word in each of the `count` listed pages, through the vCPUs' view of RAM, so
 * log-dirty sees them exactly as the workload's writes (from the caller's thread; used by tests and benchmarks
 * that need an exact dirty set). Fails with ENOENT on a page that has not arrived. Returns 0 or -1. */
int xmigsim_guest_write(xc_interface *xch, uint32_t domid, const uint64_t *pfns, uint64_t count);

/* XMIGSIM_TRACKING_* chosen for this domain, or -1. */
int xmigsim_tracking_mode(xc_interface *xch, uint32_t domid);

#endif
