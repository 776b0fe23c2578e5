/*
 * workload.c - the workload spec grammar (docs/WORKLOADS.md): KIND[:KEY=VALUE[,KEY=VALUE...]].
 * Sizes are bytes with K/M/G (binary), rates are per second with k/m (decimal) or "max", durations take
 * us/ms/s. Every kind takes seed=, vcpus=, ws=, zero=, steps=. Errors set errno EINVAL and a message that
 * xmigsim_last_error() returns.
 */
#include "sim.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static __thread char last_error[256];

void sim_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

API const char *xmigsim_last_error(void) { return last_error; }

static int fail(const char *fmt, const char *a, const char *b) {
    sim_error(fmt, a, b);
    errno = EINVAL;
    return -1;
}

static int parse_size(const char *v, uint64_t *bytes) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno || x < 0 || !isfinite(x)) return -1;
    double mul = 1;
    switch (toupper((unsigned char)*end)) {
    case 'K': mul = 1024.0; end++; break;
    case 'M': mul = 1024.0 * 1024; end++; break;
    case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end || x * mul >= 1.8e19) return -1;
    *bytes = (uint64_t)(x * mul);
    return 0;
}

static int parse_rate(const char *v, double *rate) {
    if (!strcmp(v, "max")) { *rate = -1; return 0; }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno || x < 0 || !isfinite(x)) return -1;
    if (*end == 'k' || *end == 'K') { x *= 1e3; end++; }
    else if (*end == 'm' || *end == 'M') { x *= 1e6; end++; }
    if (*end) return -1;
    *rate = x;
    return 0;
}

static int parse_duration(const char *v, uint64_t *ns) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || errno || x < 0 || !isfinite(x)) return -1;
    double mul;
    if (!strcmp(end, "s")) mul = 1e9;
    else if (!strcmp(end, "ms")) mul = 1e6;
    else if (!strcmp(end, "us")) mul = 1e3;
    else return -1;
    if (x * mul >= 1.8e19) return -1;
    *ns = (uint64_t)(x * mul);
    return 0;
}

static int parse_fraction(const char *v, double *f) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (end == v || *end || errno || !(x >= 0 && x <= 1)) return -1;
    *f = x;
    return 0;
}

static int parse_u64(const char *v, uint64_t *out) {
    char *end;
    errno = 0;
    if (*v == '-') return -1;
    /* decimal, or hex with 0x; a leading 0 is not octal */
    int base = (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) ? 16 : 10;
    unsigned long long x = strtoull(v, &end, base);
    if (end == v || *end || errno) return -1;
    *out = x;
    return 0;
}

static int load_trace(const char *path, struct workload *w) {
    FILE *f = fopen(path, "r");
    if (!f) return fail("trace file %s: %s", path, strerror(errno));
    char line[512];
    uint32_t cap = 64;
    w->trace_rate = malloc(cap * sizeof(double));
    w->trace_util = malloc(cap * sizeof(double));
    while (w->trace_rate && w->trace_util && fgets(line, sizeof line, f)) {
        double v[4];
        int n = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == 0) continue;
        while (n < 4) {
            char *end;
            double x = strtod(p, &end);
            if (end == p) break;
            v[n++] = x;
            p = end;
            while (*p == ' ' || *p == '\t') p++;
            if (*p != ',') break;
            p++;
        }
        if (n == 0) continue;                       /* a header line */
        double rate = n >= 3 ? v[1] : v[0], util = n >= 3 ? v[2] : (n == 2 ? v[1] : 0);
        if (!isfinite(rate) || rate < 0 || !(util >= 0 && util <= 1) || (*p && *p != '\n' && *p != '\r' && *p != ',')) {
            line[strcspn(line, "\r\n")] = 0;
            fclose(f);
            return fail("trace file %s: bad sample '%s' (want DIRTY_PAGES_PER_S[,CPU_UTIL] or T,DIRTY,CPU)", path, line);
        }
        if (w->trace_len == cap) {
            cap *= 2;
            double *r = realloc(w->trace_rate, cap * sizeof(double)), *u = realloc(w->trace_util, cap * sizeof(double));
            if (r) w->trace_rate = r;
            if (u) w->trace_util = u;
            if (!r || !u) break;
        }
        w->trace_rate[w->trace_len] = rate;
        w->trace_util[w->trace_len] = util;
        w->trace_len++;
    }
    fclose(f);
    if (!w->trace_rate || !w->trace_util) SET_ERRNO_RET(ENOMEM, -1);
    if (w->trace_len == 0) return fail("trace file %s: no samples%s", path, "");
    return 0;
}

void workload_free(struct workload *w) {
    free(w->trace_rate);
    free(w->trace_util);
    w->trace_rate = w->trace_util = NULL;
}

static const struct { const char *name; enum wl_kind kind; } KINDS[] = {
    { "idle", WL_IDLE }, { "sweep", WL_SWEEP }, { "random", WL_RANDOM }, { "hotcold", WL_HOTCOLD },
    { "phased", WL_PHASED }, { "kv", WL_KV }, { "cpu", WL_CPU }, { "trace", WL_TRACE },
};

int workload_parse(const char *spec, uint64_t default_seed, uint64_t domain_pages, struct workload *w) {
    memset(w, 0, sizeof *w);
    last_error[0] = 0;
    if (!spec || strlen(spec) >= 400) return fail("workload spec missing or longer than 400 characters%s%s", "", "");
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    char *params = strchr(buf, ':');
    if (params) *params++ = 0;
    bool known = false;
    for (size_t i = 0; i < sizeof KINDS / sizeof *KINDS; i++)
        if (!strcmp(buf, KINDS[i].name)) { w->kind = KINDS[i].kind; known = true; }
    if (!known) return fail("unknown workload '%s' (idle, sweep, random, hotcold, phased, kv, cpu, trace)%s", buf, "");

    w->seed = default_seed;
    w->vcpus = 1;
    w->fill = 8;
    w->rate = w->kind == WL_PHASED ? 20000 : 10000;
    w->hot_share = 0.9;
    w->quiet_ns = 2000000000ULL;
    w->burst_ns = 1000000000ULL;
    w->quiet_rate = 100;
    w->put_share = 0.2;
    w->util = 0.5;
    uint64_t ws_bytes = 0, hot_bytes = 0, zero_bytes = 0;
    char trace_path[400] = "";

    char *save = NULL;                              /* strtok_r: domains are created from many threads */
    for (char *kv = params ? strtok_r(params, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
        char *v = strchr(kv, '=');
        if (!v) return fail("workload parameter '%s' needs a value (key=value)%s", kv, "");
        *v++ = 0;
        int bad = 0;
        if (!strcmp(kv, "seed")) bad = parse_u64(v, &w->seed);
        else if (!strcmp(kv, "vcpus")) { uint64_t n; bad = parse_u64(v, &n) || n == 0 || n > MAX_VCPUS; w->vcpus = (uint32_t)n; }
        else if (!strcmp(kv, "steps")) bad = parse_u64(v, &w->steps);
        else if (!strcmp(kv, "ws")) bad = parse_size(v, &ws_bytes) || ws_bytes < PAGE_SIZE;
        else if (!strcmp(kv, "zero")) bad = parse_size(v, &zero_bytes);
        else if (!strcmp(kv, "rate") && w->kind != WL_KV && w->kind != WL_IDLE && w->kind != WL_CPU && w->kind != WL_TRACE)
            bad = parse_rate(v, &w->rate);
        else if (!strcmp(kv, "rps") && w->kind == WL_KV) bad = parse_rate(v, &w->rate);
        else if (!strcmp(kv, "fill") && w->kind != WL_KV) { uint64_t f; bad = parse_u64(v, &f) || (f != 8 && f != 4096); w->fill = (uint32_t)f; }
        else if (!strcmp(kv, "hot") && w->kind == WL_HOTCOLD) bad = parse_size(v, &hot_bytes);
        else if (!strcmp(kv, "hot_share") && w->kind == WL_HOTCOLD) bad = parse_fraction(v, &w->hot_share);
        else if (!strcmp(kv, "quiet") && w->kind == WL_PHASED) bad = parse_duration(v, &w->quiet_ns);
        else if (!strcmp(kv, "burst") && w->kind == WL_PHASED) bad = parse_duration(v, &w->burst_ns);
        else if (!strcmp(kv, "quiet_rate") && w->kind == WL_PHASED) bad = parse_rate(v, &w->quiet_rate) || w->quiet_rate < 0;
        else if (!strcmp(kv, "put") && w->kind == WL_KV) bad = parse_fraction(v, &w->put_share);
        else if (!strcmp(kv, "util") && w->kind == WL_CPU) bad = parse_fraction(v, &w->util);
        else if (!strcmp(kv, "file") && w->kind == WL_TRACE) snprintf(trace_path, sizeof trace_path, "%s", v);
        else return fail("workload '%s' has no parameter '%s' (see docs/WORKLOADS.md)", buf, kv);
        if (bad) return fail("bad value for %s: '%s'", kv, v);
    }

    uint64_t zero_pages = (zero_bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    if (zero_pages >= domain_pages) return fail("zero= region leaves no data pages%s%s", "", "");
    w->zero_pages = zero_pages;
    uint64_t data_pages = domain_pages - zero_pages;
    w->ws_pages = ws_bytes ? (ws_bytes + PAGE_SIZE - 1) / PAGE_SIZE : data_pages;
    if (w->ws_pages > data_pages) return fail("ws= is larger than the domain's data pages%s%s", "", "");
    if (w->ws_pages < w->vcpus) return fail("ws= has fewer pages than vcpus=%s%s", "", "");
    w->ws_first = 0;
    if (w->kind == WL_HOTCOLD) {
        w->hot_pages = hot_bytes ? (hot_bytes + PAGE_SIZE - 1) / PAGE_SIZE : w->ws_pages / 10;
        if (w->hot_pages < w->vcpus || w->hot_pages + w->vcpus > w->ws_pages)
            return fail("hot= must leave both a hot and a cold region for every vCPU%s%s", "", "");
    }
    if (w->kind == WL_PHASED && w->quiet_ns + w->burst_ns == 0) return fail("quiet= and burst= are both zero%s%s", "", "");
    if (w->kind == WL_TRACE) {
        if (!*trace_path) return fail("trace needs file=PATH%s%s", "", "");
        if (load_trace(trace_path, w) < 0) return -1;
    }
    /* Normalised spec: what the hvm context carries, so a destination rebuilds the same workload. */
    bool has_seed = params && (!strncmp(spec + (params - buf), "seed=", 5) || strstr(spec + (params - buf), ",seed="));
    if (has_seed) snprintf(w->spec, sizeof w->spec, "%s", spec);
    else snprintf(w->spec, sizeof w->spec, "%s%sseed=%llu", spec, params ? "," : ":", (unsigned long long)w->seed);
    return 0;
}
