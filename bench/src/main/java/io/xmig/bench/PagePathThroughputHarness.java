package io.xmig.bench;

import io.netty.util.concurrent.DefaultThreadFactory;
import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.control.session.DirectVerifier;
import io.xmig.control.session.Verifier;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.GuestSimulator.CreateFlag;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.pagepath.PagePipeline;
import io.xmig.dataplane.pagepath.PageRuns;
import io.xmig.dataplane.pagepath.TokenBucket;
import io.xmig.dataplane.protocol.Abort;
import io.xmig.dataplane.protocol.Complete;
import io.xmig.dataplane.protocol.Frame;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.Ready;
import io.xmig.dataplane.protocol.VcpuContext;
import io.xmig.dataplane.transport.SourceTransport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Throughput of xmig's pre-copy page path over loopback TCP, unlimited bandwidth, next to a plain-socket copy of the
 * same bytes (the ceiling), measured alternately in the same process.
 *
 * <p><b>The guest.</b> One 1 GiB simulated domain (262,144 pages) running {@code idle}, created paused, so its memory
 * never changes. The simulator fills every page at creation with a non-repeating xorshift stream whose words are all
 * non-zero (docs/WORKLOADS.md §4), so no page is a zero page: the sender's zero-page shortcut never applies, and the
 * harness checks that each xmig run sent 0 zero pages.
 *
 * <p><b>xmig (one run).</b> Exactly the classes {@code MigrationSession} uses, without the policy loop: a
 * {@link MigrationAgent} (destination, loopback, {@code max(2, channels + 1)} worker threads as in
 * {@code LocalMigration}), {@link SourceTransport#connect} (CONTROL + N BULK channels, HELLO/HELLO_ACK), then a
 * {@link PagePipeline} over the source's {@link GuestMemory} with {@link TokenBucket#unlimited()}. Untimed: the
 * connection set-up and the pipeline's construction (its sender threads start there). Timed from {@code t0}:
 * <ol>
 *   <li>{@code sendAll(0)}: the {@code DirtyScanner} (this thread) cuts the guest into 256-page runs on 2 MiB stripes
 *       and hands them to one Agrona ring per channel; each {@code SenderAgent} maps the run, checks for zero pages,
 *       copies it into a PAGES frame in a Netty buffer and writes it; then the round's ROUND_END;</li>
 *   <li>{@code awaitRound(0)} returns: every sender has written round 0's ROUND_END to its channel ({@code sent}:
 *       the sender-side time; up to the channel's 4 MiB high water mark may still be queued in Netty);</li>
 *   <li>an empty final round 1 (ROUND_END final=1 on every channel), VCPU_CONTEXT and COMPLETE on CONTROL, then the
 *       wait for READY. The destination answers READY only after the final ROUND_END of every bulk channel, and a
 *       channel's frames are decoded and installed ({@code UFFDIO_COPY}) in order on its event loop, so READY means
 *       every page of round 0 is in the destination domain ({@code end}).</li>
 * </ol>
 * The figure reported is {@code 1 GiB / (end − t0)}, end to end; {@code 1 GiB / (sent − t0)} is shown next to it.
 * After READY (untimed) the destination is compared with the source page by page ({@link DirectVerifier}, as
 * {@code LocalMigration} does) and any difference, any zero page sent or a READY count other than 262,144 stops the
 * harness. Then ABORT, and the agent destroys its copy.
 *
 * <p><b>Ceiling (one run).</b> N {@link SocketChannel} pairs over 127.0.0.1 (blocking, {@code TCP_NODELAY} as Netty
 * sets it, kernel-default buffer sizes as the xmig channels have), one sender and one receiver thread per pair.
 * Untimed: the source guest is mapped once, in 64 mappings of 4096 pages ({@code mapRun}'s
 * largest, the same foreign-mapping call the senders make per 256-page run); a 1 GiB off-heap destination buffer is allocated once per harness (Java zeroes it, so its
 * pages are already faulted in) and zeroed again before each run. Timed, from a barrier to the last receiver
 * finishing: sender i writes every 2 MiB stripe {@code s} with {@code s % N == i} (xmig's striping) straight from
 * the mapping ({@code asByteBuffer()}, no user-space copy); receiver i reads the same stripes, in order, straight into
 * their place in the destination buffer. That is the least a user-space copier over TCP must do: one copy into the
 * socket, one out of it, no framing, no per-run mapping, no page allocation at the destination. Afterwards
 * (untimed) the destination buffer must equal the guest byte for byte.
 *
 * <p><b>Order and CPU.</b> Each round of the harness measures channels 1, 2, 4, and for each channel count the two
 * contenders back to back, alternating which goes first. The first rounds (2 unless told) are warm-up (JIT) and are
 * printed but not counted.
 * Per run the harness also reads the CPU time of the JVM's threads ({@code ThreadMXBean}, user + system, so kernel
 * copies and {@code UFFDIO_COPY} count for the thread that made the call) grouped as: xmig senders
 * ({@code xmig-sender-*}), the scanner (this thread), the source's Netty event loops, the destination's Netty event
 * loops (told apart by the Netty thread-pool ids allocated before and after the agent was built), and the ceiling's
 * sender and receiver threads; and the process CPU time. Native threads of the simulator are in the process figure
 * only (they are idle here: the guest is paused).
 *
 * <p>Usage: {@code PagePathThroughputHarness [runs] [warm-up rounds]} (default 5 and 2).
 */
public final class PagePathThroughputHarness {
    static final long PAGES = 262_144;                                 // 1 GiB
    static final long BYTES = PAGES * GuestMemory.PAGE_SIZE;
    static final double GIB = 1L << 30;
    static final int[] CHANNELS = {1, 2, 4};
    static final long STRIPE_BYTES = PageRuns.STRIPE_PAGES * GuestMemory.PAGE_SIZE;
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    /** {@code mapRun} maps at most 4096 pages (16 MiB) at a time: 8 stripes. */
    static final int MAP_CHUNK_PAGES = 4096;
    private static final Pattern NETTY_THREAD = Pattern.compile("^multiThreadIoEventLoopGroup-(\\d+)-\\d+$");

    record XmigRun(int channels, double endSeconds, double sentSeconds, long bytesOnWire, long frames, long zeroPages,
                   Map<String, Double> cpu, double processCpu) {
        double gibps() { return BYTES / GIB / endSeconds; }
        double sentGibps() { return BYTES / GIB / sentSeconds; }
    }

    record CeilingRun(int channels, double seconds, Map<String, Double> cpu, double processCpu) {
        double gibps() { return BYTES / GIB / seconds; }
    }

    private final XenHypervisor hv;
    private final GuestSimulator sim;
    private final int source;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final MemorySegment ceilingDestination = Arena.global().allocate(BYTES, 4096);

    private PagePathThroughputHarness(XenHypervisor hv, int source) {
        this.hv = hv;
        this.sim = BenchSupport.simulator(hv);
        this.source = source;
    }

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int warmups = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        BenchSupport.reportJvmFlags();
        System.out.printf("# page-path throughput: 1 GiB idle guest (created paused, every page non-zero), loopback, "
                + "unlimited bandwidth, channels %s, %d runs + %d warm-up rounds; %d CPUs, load average %.2f at start%n",
                Arrays.toString(CHANNELS), runs, warmups, Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = BenchSupport.simulator(hv);
            int source = sim.createDomain(PAGES, "idle", 0x5eedL, CreateFlag.PAUSED);
            try {
                new PagePathThroughputHarness(hv, source).measure(runs, warmups);
            } finally {
                sim.destroy(source);
            }
        }
    }

    private void measure(int runs, int warmups) throws Exception {
        checkNoZeroPages();
        Map<Integer, List<XmigRun>> xmig = new LinkedHashMap<>();
        Map<Integer, List<CeilingRun>> ceiling = new LinkedHashMap<>();
        Map<Integer, List<Double>> ratios = new LinkedHashMap<>();
        System.out.println();
        System.out.println("| run | channels | first | xmig GiB/s (end to end) | xmig GiB/s (sender side) | ceiling GiB/s | xmig / ceiling "
                + "| xmig frames | xmig CPU s: senders / scanner / src loops / dst loops / other Java / process | ceiling CPU s: send / recv / process | load |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (int run = 1 - warmups; run <= runs; run++) {
            for (int ch : CHANNELS) {
                boolean ceilingFirst = Math.floorMod(run, 2) == 1;
                CeilingRun c = null;
                if (ceilingFirst) c = ceiling(ch);
                XmigRun x = xmig(ch);
                if (!ceilingFirst) c = ceiling(ch);
                double ratio = x.gibps() / c.gibps();
                System.out.printf(Locale.ROOT, "| %s | %d | %s | %.3f | %.3f | %.3f | %.3f | %d | %.2f / %.2f / %.2f / %.2f / %.2f / %.2f | %.2f / %.2f / %.2f | %.2f |%n",
                        run <= 0 ? "warm-up" : Integer.toString(run), ch, ceilingFirst ? "ceiling" : "xmig",
                        x.gibps(), x.sentGibps(), c.gibps(), ratio, x.frames,
                        x.cpu.get("senders"), x.cpu.get("scanner"), x.cpu.get("source loops"), x.cpu.get("destination loops"),
                        x.cpu.get("other"), x.processCpu, c.cpu.get("send"), c.cpu.get("recv"), c.processCpu,
                        ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
                if (run <= 0) continue;
                xmig.computeIfAbsent(ch, k -> new ArrayList<>()).add(x);
                ceiling.computeIfAbsent(ch, k -> new ArrayList<>()).add(c);
                ratios.computeIfAbsent(ch, k -> new ArrayList<>()).add(ratio);
            }
        }
        System.out.printf("%n| %d runs per channel count | channels | min | median | max |%n|---|---|---|---|---|%n", runs);
        for (int ch : CHANNELS) {
            List<XmigRun> xs = xmig.get(ch);
            List<CeilingRun> cs = ceiling.get(ch);
            row("xmig GiB/s, end to end (t0 → READY)", ch, xs, XmigRun::gibps);
            row("xmig GiB/s, sender side (t0 → last ROUND_END written)", ch, xs, XmigRun::sentGibps);
            row("ceiling GiB/s (plain sockets)", ch, cs, CeilingRun::gibps);
            row("xmig / ceiling, same round", ch, ratios.get(ch), d -> d);
            row("xmig bytes on the wire / guest bytes", ch, xs, r -> (double) r.bytesOnWire / BYTES);
            row("xmig CPU s per GiB: senders", ch, xs, r -> r.cpu.get("senders") / (BYTES / GIB));
            row("xmig CPU s per GiB: scanner", ch, xs, r -> r.cpu.get("scanner") / (BYTES / GIB));
            row("xmig CPU s per GiB: source event loops", ch, xs, r -> r.cpu.get("source loops") / (BYTES / GIB));
            row("xmig CPU s per GiB: destination event loops", ch, xs, r -> r.cpu.get("destination loops") / (BYTES / GIB));
            row("xmig CPU s per GiB: other Java threads", ch, xs, r -> r.cpu.get("other") / (BYTES / GIB));
            row("xmig CPU s per GiB: whole process", ch, xs, r -> r.processCpu / (BYTES / GIB));
            row("xmig CPU s per GiB: not in any Java thread (JIT, GC, native)", ch, xs,
                    r -> (r.processCpu - r.cpu.values().stream().mapToDouble(Double::doubleValue).sum()) / (BYTES / GIB));
            row("ceiling CPU s per GiB: senders", ch, cs, r -> r.cpu.get("send") / (BYTES / GIB));
            row("ceiling CPU s per GiB: receivers", ch, cs, r -> r.cpu.get("recv") / (BYTES / GIB));
            row("ceiling CPU s per GiB: whole process", ch, cs, r -> r.processCpu / (BYTES / GIB));
        }
    }

    private static <T> void row(String what, int ch, List<T> values, ToDoubleFunction<T> f) {
        double[] v = values.stream().mapToDouble(f).sorted().toArray();
        System.out.printf(Locale.ROOT, "| %s | %d | %.3f | %.3f | %.3f |%n", what, ch, v[0], median(v), v[v.length - 1]);
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The premise of the benchmark: no page of the guest is all zero (so the sender sends every page as data). */
    private void checkNoZeroPages() {
        MemorySegment zero = Arena.ofAuto().allocate(GuestMemory.PAGE_SIZE);
        for (long first = 0; first < PAGES; first += MAP_CHUNK_PAGES) {
            try (PageMapping m = hv.memory(source).mapRun(first, MAP_CHUNK_PAGES, false)) {
                for (long p = 0; p < MAP_CHUNK_PAGES; p++) {
                    if (m.page(p).mismatch(zero) < 0) throw new IllegalStateException("page " + (first + p) + " of the guest is all zero");
                }
            }
        }
        System.out.println("# checked: none of the guest's 262144 pages is all zero");
    }

    // ---------------------------------------------------------------------------------------------------- xmig

    private XmigRun xmig(int channels) throws Exception {
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        int poolBeforeAgent = nextNettyPoolId();
        try (Arena arena = Arena.ofConfined();
             MigrationAgent agent = new MigrationAgent(hv, Math.max(2, channels + 1), arrived::complete)
                     .listen(new InetSocketAddress("127.0.0.1", 0))) {
            int poolBeforeSource = nextNettyPoolId();
            SourceTransport transport = SourceTransport.connect(agent.address(), UUID.randomUUID(), PAGES,
                    (int) GuestMemory.PAGE_SIZE, channels, TIMEOUT);
            try (transport; PagePipeline pipeline = new PagePipeline(hv.memory(source), transport.bulk(), TokenBucket.unlimited())) {
                PageBitmap nothing = PageBitmap.allocate(arena, PAGES);
                byte[] context = hv.saveVcpuContext(source);
                Map<Long, Long> cpu0 = threadCpu();
                long process0 = os.getProcessCpuTime();

                long t0 = System.nanoTime();
                pipeline.sendAll(0);
                PagePipeline.Totals round0 = pipeline.awaitRound(0, TIMEOUT);
                long sent = System.nanoTime();
                pipeline.sendDirty(nothing, 1, true);
                pipeline.awaitRound(1, TIMEOUT);
                transport.sendControl(b -> new VcpuContext(context).encode(b));
                transport.sendControl(b -> new Complete(1).encode(b));
                Ready ready;
                Frame f = transport.awaitControl(TIMEOUT);
                try {
                    if (f.type() != FrameType.READY) throw new IllegalStateException("expected READY, got " + f.type());
                    ready = Ready.decode(f.body());
                } finally {
                    f.release();
                }
                long end = System.nanoTime();

                long process1 = os.getProcessCpuTime();
                Map<String, Double> cpu = groupXmigCpu(cpu0, threadCpu(), poolBeforeAgent, poolBeforeSource);
                if (round0.pages() != PAGES || ready.pagesReceived() != PAGES) {
                    throw new IllegalStateException("round 0 sent " + round0.pages() + " pages, the destination received "
                            + ready.pagesReceived() + "; expected " + PAGES);
                }
                if (round0.zeroPages() != 0) throw new IllegalStateException(round0.zeroPages() + " zero pages sent");
                Verifier.Result v = new DirectVerifier(hv, source, () -> arrived.join().domid()).verify(PAGES, null);
                if (v.pagesDiffering() != 0) {
                    throw new IllegalStateException(v.pagesDiffering() + " pages differ on the destination, first " + v.firstDifferingPage());
                }
                transport.sendControl(b -> new Abort("benchmark run done").encode(b));
                arrived.join().outcome().get(10, TimeUnit.SECONDS);
                return new XmigRun(channels, (end - t0) / 1e9, (sent - t0) / 1e9, round0.bytes(), round0.frames(),
                        round0.zeroPages(), cpu, (process1 - process0) / 1e9);
            }
        }
    }

    /** The pool id the next Netty {@code DefaultThreadFactory} will get (creating a probe factory takes one). */
    private static int nextNettyPoolId() {
        Thread probe = new DefaultThreadFactory("probe").newThread(() -> { });
        Matcher m = Pattern.compile("^probe-(\\d+)-\\d+$").matcher(probe.getName());
        if (!m.matches()) throw new IllegalStateException("unexpected Netty thread name " + probe.getName());
        return Integer.parseInt(m.group(1)) + 1;
    }

    private Map<String, Double> groupXmigCpu(Map<Long, Long> before, Map<Long, Long> after, int poolBeforeAgent, int poolBeforeSource) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String k : List.of("senders", "scanner", "source loops", "destination loops", "other")) out.put(k, 0.0);
        long self = Thread.currentThread().threadId();
        for (var e : after.entrySet()) {
            long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            var info = threads.getThreadInfo(e.getKey());
            if (info == null || delta <= 0) continue;
            String name = info.getThreadName();
            String group;
            Matcher m = NETTY_THREAD.matcher(name);
            if (e.getKey() == self) group = "scanner";
            else if (name.startsWith("xmig-sender-")) group = "senders";
            else if (m.matches()) {
                int pool = Integer.parseInt(m.group(1));
                group = pool >= poolBeforeSource ? "source loops" : pool >= poolBeforeAgent ? "destination loops" : "other";
            } else group = "other";
            out.merge(group, delta / 1e9, Double::sum);
        }
        return out;
    }

    private Map<Long, Long> threadCpu() {
        Map<Long, Long> out = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t >= 0) out.put(id, t);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------- ceiling

    private CeilingRun ceiling(int channels) throws Exception {
        ceilingDestination.fill((byte) 0);
        long stripes = BYTES / STRIPE_BYTES;
        List<PageMapping> guest = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            for (long first = 0; first < PAGES; first += MAP_CHUNK_PAGES) guest.add(hv.memory(source).mapRun(first, MAP_CHUNK_PAGES, false));
            long stripesPerChunk = MAP_CHUNK_PAGES / PageRuns.STRIPE_PAGES;
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel[] out = new SocketChannel[channels], in = new SocketChannel[channels];
            for (int i = 0; i < channels; i++) {
                out[i] = SocketChannel.open(server.getLocalAddress());
                out[i].setOption(StandardSocketOptions.TCP_NODELAY, true);
                in[i] = server.accept();
                in[i].setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            CyclicBarrier start = new CyclicBarrier(2 * channels + 1);
            long[] sendCpu = new long[channels], recvCpu = new long[channels];
            Throwable[] failure = new Throwable[1];
            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < channels; i++) {
                final int ch = i;
                workers.add(Thread.ofPlatform().name("ceiling-send-" + i).start(() -> {
                    try {
                        start.await();
                        long c0 = threads.getCurrentThreadCpuTime();
                        for (long s = ch; s < stripes; s += channels) {
                            ByteBuffer b = guest.get((int) (s / stripesPerChunk)).segment()
                                    .asSlice((s % stripesPerChunk) * STRIPE_BYTES, STRIPE_BYTES).asByteBuffer();
                            while (b.hasRemaining()) out[ch].write(b);
                        }
                        sendCpu[ch] = threads.getCurrentThreadCpuTime() - c0;
                    } catch (Throwable t) {
                        synchronized (failure) { failure[0] = t; }
                    }
                }));
                workers.add(Thread.ofPlatform().name("ceiling-recv-" + i).start(() -> {
                    try {
                        start.await();
                        long c0 = threads.getCurrentThreadCpuTime();
                        for (long s = ch; s < stripes; s += channels) {
                            ByteBuffer b = ceilingDestination.asSlice(s * STRIPE_BYTES, STRIPE_BYTES).asByteBuffer();
                            while (b.hasRemaining()) {
                                if (in[ch].read(b) < 0) throw new IllegalStateException("ceiling channel " + ch + " closed early");
                            }
                        }
                        recvCpu[ch] = threads.getCurrentThreadCpuTime() - c0;
                    } catch (Throwable t) {
                        synchronized (failure) { failure[0] = t; }
                    }
                }));
            }
            long process0 = os.getProcessCpuTime();
            start.await();
            long t0 = System.nanoTime();
            for (Thread t : workers) t.join();
            long t1 = System.nanoTime();
            long process1 = os.getProcessCpuTime();
            for (int i = 0; i < channels; i++) { out[i].close(); in[i].close(); }
            if (failure[0] != null) throw new IllegalStateException("ceiling run failed", failure[0]);
            for (int k = 0; k < guest.size(); k++) {
                long at = (long) k * MAP_CHUNK_PAGES * GuestMemory.PAGE_SIZE;
                MemorySegment chunk = guest.get(k).segment();
                long diff = ceilingDestination.asSlice(at, chunk.byteSize()).mismatch(chunk);
                if (diff >= 0) throw new IllegalStateException("ceiling copy differs from the guest at byte " + (at + diff));
            }
            Map<String, Double> cpu = new LinkedHashMap<>();
            cpu.put("send", Arrays.stream(sendCpu).sum() / 1e9);
            cpu.put("recv", Arrays.stream(recvCpu).sum() / 1e9);
            return new CeilingRun(channels, (t1 - t0) / 1e9, cpu, (process1 - process0) / 1e9);
        } finally {
            for (PageMapping m : guest) m.close();
        }
    }
}
