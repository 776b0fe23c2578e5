/* The guest workload of the xmig Xen test bed (static, runs as the PVH guest's only program).
 *   dirtier WS_MIB RATE : touch WS_MIB MiB, then write one word per page, round-robin over them, RATE pages per
 *                         second in 10 ms ticks. Every 500 ms it prints "T seq rt=... written=... longest_stall_ms=..."
 *                         (the longest gap between two ticks since the last line); a gap over 1 s is printed at once
 *                         as "STALL ms=... rt=..." - a migration's downtime as the guest saw it.             */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static double now(clockid_t c) { struct timespec t; clock_gettime(c, &t); return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: dirtier WS_MIB RATE\n"); return 2; }
    long pages = atol(argv[1]) * 256, rate = atol(argv[2]);
    volatile uint64_t *mem = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED) { perror("mmap"); return 1; }
    for (long p = 0; p < pages; p++) mem[p * 512] = p;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("DIRTIER start ws_pages=%ld rate=%ld\n", pages, rate);
    struct timespec tick = {0, 10 * 1000 * 1000};
    double last = now(CLOCK_MONOTONIC), lastLine = last, stall = 0, owed = 0;
    unsigned long written = 0, seq = 0;
    long next = 0;
    for (;;) {
        nanosleep(&tick, NULL);
        double t = now(CLOCK_MONOTONIC), gap = t - last;
        /* CLOCK_MONOTONIC stops while a migrated guest is suspended; the wall clock does not */
        static double lastRt; double rt = now(CLOCK_REALTIME);
        if (lastRt > 0 && rt - lastRt > gap) gap = rt - lastRt;
        lastRt = rt;
        last = t;
        if (gap > stall) stall = gap;
        if (gap > 1.0) printf("STALL ms=%.0f rt=%.3f\n", gap * 1e3, rt);
        owed += rate * (gap < 0.1 ? gap : 0.1);
        for (; owed >= 1; owed -= 1, written++) { mem[next * 512] += 1; if (++next == pages) next = 0; }
        if (t - lastLine >= 0.5) {
            printf("T %lu rt=%.3f written=%lu longest_stall_ms=%.0f\n", seq++, rt, written, stall * 1e3);
            stall = 0; lastLine = t;
        }
    }
}
