package io.xmig.bench;

import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.GuestSimulator.CreateFlag;
import io.xmig.dataplane.hypervisor.InstallMode;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.HdrHistogram.Histogram;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * Post-copy fault latency as the guest sees it. Not JMH: the latency is measured inside the guest, by the kv
 * workload's per-request histogram.
 *
 * <p>One run: a 1 GiB source running {@value #SPEC} is created paused (so it never runs; its context is at request 0);
 * an empty 1 GiB destination (every page missing) gets the source's vCPU context
 * ({@code saveVcpuContext}/{@code restoreVcpuContext}) and is unpaused. Its single vCPU serves 20,000 get requests at
 * full speed over a 1 GiB table, so nearly every request touches a page that has not arrived and blocks in the kernel
 * until this Java loop serves it: {@code readFaults} (up to 64 page numbers) → {@code mapRun} of that page on the
 * source → {@code install(pfn, 1, IF_MISSING)} on the destination, exactly as DemandPagingTest does. The loop waits
 * for faults either by spinning on {@code readFaults} ({@code spin}, one busy core) or by {@code poll(2)} on the
 * destination's fault eventfd ({@code poll}, the way a service thread would sleep), through a libc downcall.
 *
 * <p>When the guest has halted, the kv latency histogram ({@link GuestSimulator#latencyHistogram}, buckets of 1/8 of a
 * power of two, lower bound {@link GuestSimulator#latencyBucketLow}) holds each request's wall-clock latency, blocked
 * time included. A request served from present pages takes well under 2 µs and one that waited for a page well over,
 * so the requests in buckets starting at ≥ {@value #SLOW_NS} ns are the faulted ones: the harness prints their count,
 * median and p99 (bucket lower bounds, so up to 12.5 % low), next to the faults the loop served and the kernel's
 * fault count. From the same runs, on the Java side: service time per fault, from {@code readFaults} returning to
 * that page's {@code install} returning (HdrHistogram; a fault dequeued in a batch includes the service of those ahead
 * of it in the batch), and the medians of its parts: {@code mapRun} on the source, {@code install}, and the unmap of the
 * source page that follows the install (not part of the guest's wait, but of the loop's).
 *
 * <p>Each wait mode starts with one warm-up run (printed, not counted: it includes JIT compilation of the loop).
 *
 * <p>Allocation: the service loop allocates one {@link PageMapping} (and its unmapper) per fault, which is what the
 * {@code GuestMemory.mapRun} API costs; everything else is allocated before the guest starts. The latencies measured are
 * tens of microseconds, so this does not matter, but it is not zero.
 *
 * <p>Usage: {@code FaultLatencyHarness [runs] [spin|poll|both]}, default 5 runs of both.
 */
public final class FaultLatencyHarness {
    static final long PAGES = 262_144;                            // 1 GiB
    static final String SPEC = "kv:ws=1G,rps=max,put=0,steps=20000";
    static final long REQUESTS = 20_000;
    static final long SLOW_NS = 2048;                              // a bucket boundary: [2048, 2304) is bucket 72
    private static final int FAULT_BATCH = 64;
    private static final long STATE_CHECK_NS = 2_000_000;
    private static final long DEADLINE_NS = 120_000_000_000L;
    private static final short POLLIN = 0x1;

    enum Wait { SPIN, POLL }

    record Run(long requests, long slow, long slowMedianNs, long slowP99Ns, long fastMedianNs, long served,
               long alreadyPresent, long kernelFaults, long serviceMedianNs, long serviceP99Ns, long mapMedianNs,
               long installMedianNs, long unmapMedianNs, long wallMs) {}

    private final XenHypervisor hv;
    private final GuestSimulator sim;
    private final MethodHandle poll;

    private FaultLatencyHarness(XenHypervisor hv) {
        this.hv = hv;
        this.sim = BenchSupport.simulator(hv);
        Linker linker = Linker.nativeLinker();
        this.poll = linker.downcallHandle(linker.defaultLookup().find("poll").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    }

    public static void main(String[] args) throws Throwable {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<Wait> waits = args.length > 1 && !args[1].equals("both")
                ? List.of(Wait.valueOf(args[1].toUpperCase(Locale.ROOT))) : List.of(Wait.SPIN, Wait.POLL);
        BenchSupport.reportJvmFlags();
        System.out.printf("# fault latency: destination with no pages, guest %s, 1 vCPU, %d runs per wait mode%n", SPEC, runs);
        try (XenHypervisor hv = XenHypervisor.open()) {
            FaultLatencyHarness h = new FaultLatencyHarness(hv);
            for (Wait wait : waits) {
                List<Run> results = new ArrayList<>();
                System.out.printf("%n## wait=%s%n%n", wait.name().toLowerCase(Locale.ROOT));
                System.out.println("| run | requests | faulted (≥ 2048 ns) | faulted median µs | faulted p99 µs | others median µs "
                        + "| faults served | kernel faults | service median µs | service p99 µs | map / install / unmap median µs | wall ms |");
                System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
                for (int i = 0; i <= runs; i++) {              // run 0 warms up the JIT and is not counted
                    Run r = h.run(wait, 1000 + i);
                    if (i > 0) results.add(r);
                    System.out.printf("| %s | %d | %d | %s | %s | %s | %d | %d | %s | %s | %s / %s / %s | %d |%n",
                            i == 0 ? "warm-up" : Integer.toString(i), r.requests, r.slow,
                            us(r.slowMedianNs), us(r.slowP99Ns), us(r.fastMedianNs), r.served, r.kernelFaults,
                            us(r.serviceMedianNs), us(r.serviceP99Ns), us(r.mapMedianNs), us(r.installMedianNs),
                            us(r.unmapMedianNs), r.wallMs);
                    if (r.alreadyPresent > 0) System.out.println("#   installs that found the page present: " + r.alreadyPresent);
                }
                System.out.printf("%n| wait=%s, %d runs | min | median | max |%n|---|---|---|---|%n", wait.name().toLowerCase(Locale.ROOT), runs);
                summary(results, "faulted requests: median µs", r -> r.slowMedianNs / 1000.0);
                summary(results, "faulted requests: p99 µs", r -> r.slowP99Ns / 1000.0);
                summary(results, "faulted requests", r -> r.slow);
                summary(results, "faults served (Java loop)", r -> r.served);
                summary(results, "Java service time fault → installed: median µs", r -> r.serviceMedianNs / 1000.0);
                summary(results, "Java service time fault → installed: p99 µs", r -> r.serviceP99Ns / 1000.0);
                summary(results, "of which mapRun on the source: median µs", r -> r.mapMedianNs / 1000.0);
                summary(results, "of which install (UFFDIO_COPY): median µs", r -> r.installMedianNs / 1000.0);
                summary(results, "then unmap of the source page (after the install): median µs", r -> r.unmapMedianNs / 1000.0);
            }
        }
    }

    private Run run(Wait wait, long seed) throws Throwable {
        int src = sim.createDomain(PAGES, SPEC, seed, CreateFlag.PAUSED);
        int dst = -1;
        try (Arena arena = Arena.ofConfined()) {
            dst = sim.createDestination(PAGES);
            hv.restoreVcpuContext(dst, hv.saveVcpuContext(src));
            GuestMemory from = hv.memory(src), to = hv.memory(dst);
            MemorySegment faults = arena.allocate(ValueLayout.JAVA_LONG, FAULT_BATCH);
            MemorySegment pollfd = arena.allocate(8, 4);
            pollfd.set(ValueLayout.JAVA_INT, 0, sim.faultFd(dst));
            pollfd.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            Histogram service = new Histogram(60_000_000_000L, 3);
            Histogram map = new Histogram(60_000_000_000L, 3);
            Histogram install = new Histogram(60_000_000_000L, 3);
            Histogram unmap = new Histogram(60_000_000_000L, 3);
            long served = 0, alreadyPresent = 0;

            long start = System.nanoTime();
            hv.unpause(dst);
            long nextCheck = start + STATE_CHECK_NS;
            while (true) {
                if (wait == Wait.POLL) {
                    pollfd.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
                    int r = (int) poll.invokeExact(pollfd, 1L, 5);
                    if (r < 0) throw new IllegalStateException("poll on the fault fd failed");
                }
                int n = sim.readFaults(dst, faults, FAULT_BATCH);
                if (n > 0) {
                    long dequeued = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        long pfn = faults.getAtIndex(ValueLayout.JAVA_LONG, i);
                        long t0 = System.nanoTime();
                        PageMapping m = from.mapRun(pfn, 1, false);
                        long t1 = System.nanoTime();
                        try {
                            if (to.install(pfn, 1, m.segment(), InstallMode.IF_MISSING) == 0) alreadyPresent++;
                        } finally {
                            long t2 = System.nanoTime();
                            m.close();
                            long t3 = System.nanoTime();
                            map.recordValue(t1 - t0);
                            install.recordValue(t2 - t1);
                            unmap.recordValue(t3 - t2);
                            service.recordValue(t2 - dequeued);
                        }
                    }
                    served += n;
                } else if (wait == Wait.SPIN) {
                    Thread.onSpinWait();
                }
                long now = System.nanoTime();
                if (now >= nextCheck) {
                    if (sim.counters(dst).state() == SimCounters.State.HALTED) break;
                    if (now - start > DEADLINE_NS) throw new IllegalStateException("the destination did not finish in 120 s");
                    nextCheck = now + STATE_CHECK_NS;
                }
            }
            long wallMs = (System.nanoTime() - start) / 1_000_000;
            SimCounters c = sim.counters(dst);
            long[] lat = sim.latencyHistogram(dst, false);
            long total = Arrays.stream(lat).sum();
            if (c.requests() != REQUESTS || total != REQUESTS) {
                throw new IllegalStateException("expected " + REQUESTS + " requests, counters say " + c.requests()
                        + ", the histogram holds " + total);
            }
            int slowFrom = firstBucketAtLeast(SLOW_NS);
            return new Run(c.requests(), count(lat, slowFrom, lat.length), percentileLow(lat, slowFrom, lat.length, 0.50),
                    percentileLow(lat, slowFrom, lat.length, 0.99), percentileLow(lat, 0, slowFrom, 0.50), served,
                    alreadyPresent, c.faults(), service.getValueAtPercentile(50), service.getValueAtPercentile(99),
                    map.getValueAtPercentile(50), install.getValueAtPercentile(50), unmap.getValueAtPercentile(50), wallMs);
        } finally {
            if (dst >= 0) sim.destroy(dst);
            sim.destroy(src);
        }
    }

    static int firstBucketAtLeast(long ns) {
        int i = 0;
        while (GuestSimulator.latencyBucketLow(i) < ns) i++;
        if (GuestSimulator.latencyBucketLow(i) != ns) throw new IllegalArgumentException(ns + " ns is not a bucket boundary");
        return i;
    }

    private static long count(long[] h, int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) n += h[i];
        return n;
    }

    /** Lower bound of the bucket holding the q-quantile of the requests in buckets [from, to); -1 if there are none. */
    static long percentileLow(long[] h, int from, int to, double q) {
        long total = count(h, from, to);
        if (total == 0) return -1;
        long rank = Math.max(1, (long) Math.ceil(q * total)), cum = 0;
        for (int i = from; i < to; i++) {
            cum += h[i];
            if (cum >= rank) return GuestSimulator.latencyBucketLow(i);
        }
        throw new AssertionError();
    }

    private static String us(long ns) {
        return ns < 0 ? "–" : String.format(Locale.ROOT, "%.2f", ns / 1000.0);
    }

    private static void summary(List<Run> runs, String what, ToDoubleFunction<Run> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        int n = v.length;
        double median = n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s |%n", what, fmt(v[0]), fmt(median), fmt(v[n - 1]));
    }

    private static String fmt(double x) {
        return x == Math.rint(x) && Math.abs(x) >= 100 ? String.format(Locale.ROOT, "%.0f", x) : String.format(Locale.ROOT, "%.2f", x);
    }
}
