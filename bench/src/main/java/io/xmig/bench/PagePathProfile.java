package io.xmig.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where the page path's threads spend their samples, from a JFR recording of {@link PagePathThroughputHarness} (made
 * with {@code XMIG_JAVA_OPTS="-XX:StartFlightRecording=filename=FILE,settings=profile" bin/xmig-bench page-path ...}).
 *
 * <p>Only the xmig threads are counted: the senders ({@code xmig-sender-*}) and the Netty event loops
 * ({@code multiThreadIoEventLoopGroup-*}: the source's and the destination's, not told apart here; in this harness the
 * source loops only write). Each sample goes to the first category, in the order listed, whose marker (a
 * {@code SimpleClassName.method}) appears anywhere in its stack; samples matching none are "other", and the most
 * frequent top frames (with line numbers) of those are printed under each table: an intrinsic such as the bulk copy of
 * {@code MemorySegment.copy} has no frame of its own and is charged to the line of the caller. Execution samples
 * (the thread was running Java code, including memory copies done by intrinsics) and native-method samples (the thread
 * was in native code: a syscall, an FFM downcall, or idle in {@code epoll_wait}) are JFR's two sampler kinds with
 * different periods, so they are reported separately and their counts must not be added.
 *
 * <p>Usage: {@code PagePathProfile FILE.jfr}
 */
public final class PagePathProfile {
    private record Rule(String label, String marker) {}

    private static final List<Rule> SENDER = List.of(
            new Rule("frame buffer allocation: new direct ByteBuffer (allocateDirect + zeroing)", "PlatformDependent.allocateDirect"),
            new Rule("frame buffer allocation: pooled", "AdaptivePoolingAllocator.allocate"),
            new Rule("copy into the frame (PagesFrameWriter.addDataRun)", "PagesFrameWriter.addDataRun"),
            new Rule("mapRun (xenforeignmemory_map)", "XenForeignMemory.xenforeignmemory_map"),
            new Rule("unmap (xenforeignmemory_unmap)", "XenForeignMemory.xenforeignmemory_unmap"),
            new Rule("zero-page test (first touch of the mapped run)", "MemorySegment.mismatch"),
            new Rule("parked in transmit (channel not writable)", "LockSupport.parkNanos"),
            new Rule("channel.write: task to the event loop, wake-up", "SingleThreadEventExecutor.execute"),
            new Rule("idle (AgentRunner back-off)", "BackoffIdleStrategy.idle"));

    private static final List<Rule> LOOP = List.of(
            new Rule("UFFDIO_COPY install (xmigsim_install_pages)", "XmigSim.xmigsim_install_pages"),
            new Rule("cumulation copy (ByteToMessageDecoder cumulator)", "ByteToMessageDecoder$1.cumulate"),
            new Rule("cumulation compaction (discardSomeReadBytes)", "ByteToMessageDecoder.discardSomeReadBytes"),
            new Rule("PAGES validation (PagesFrameReader.wrap)", "PagesFrameReader.wrap"),
            new Rule("socket read", "SocketDispatcher.read0"),
            new Rule("socket write", "SocketDispatcher.write0"),
            new Rule("socket write", "SocketDispatcher.writev0"),
            new Rule("idle (epoll_wait)", "EPoll.wait"),
            new Rule("receive path, rest (pipeline, buffer allocation and release)", "AbstractNioByteChannel$NioByteUnsafe.read"),
            new Rule("write path, rest (flush, outbound buffer)", "AbstractChannel$AbstractUnsafe.flush0"),
            new Rule("write path, rest (flush, outbound buffer)", "AbstractChannelHandlerContext$WriteTask.run"));

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: PagePathProfile FILE.jfr");
            System.exit(2);
        }
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        Map<String, Map<String, Integer>> otherTops = new LinkedHashMap<>();
        for (String g : List.of("senders, execution", "senders, native", "event loops, execution", "event loops, native")) {
            counts.put(g, new LinkedHashMap<>());
        }
        for (RecordedEvent e : RecordingFile.readAllEvents(Path.of(args[0]))) {
            String type = e.getEventType().getName();
            boolean exec = type.equals("jdk.ExecutionSample");
            if (!exec && !type.equals("jdk.NativeMethodSample")) continue;
            RecordedThread t = e.getThread("sampledThread");
            String name = t == null || t.getJavaName() == null ? "" : t.getJavaName();
            List<Rule> rules;
            String group;
            if (name.startsWith("xmig-sender-")) { rules = SENDER; group = "senders"; }
            else if (name.startsWith("multiThreadIoEventLoopGroup-")) { rules = LOOP; group = "event loops"; }
            else continue;
            if (e.getStackTrace() == null) continue;
            List<String> frames = new ArrayList<>();
            for (RecordedFrame f : e.getStackTrace().getFrames()) {
                String cls = f.getMethod().getType().getName();
                frames.add(cls.substring(cls.lastIndexOf('.') + 1) + "." + f.getMethod().getName());
            }
            String label = "other";
            for (Rule r : rules) {
                if (frames.contains(r.marker)) { label = r.label; break; }
            }
            String key = group + (exec ? ", execution" : ", native");
            counts.get(key).merge(label, 1, Integer::sum);
            if (label.equals("other") && !frames.isEmpty()) {
                RecordedFrame top = e.getStackTrace().getFrames().getFirst();
                otherTops.computeIfAbsent(key, k -> new LinkedHashMap<>()).merge(frames.getFirst() + ":" + top.getLineNumber(), 1, Integer::sum);
            }
        }
        for (var g : counts.entrySet()) {
            int total = g.getValue().values().stream().mapToInt(Integer::intValue).sum();
            System.out.printf("%n| %s samples (%d) | count | share |%n|---|---|---|%n", g.getKey(), total);
            g.getValue().entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).forEach(c ->
                    System.out.printf(Locale.ROOT, "| %s | %d | %.1f %% |%n", c.getKey(), c.getValue(), 100.0 * c.getValue() / total));
            Map<String, Integer> tops = otherTops.getOrDefault(g.getKey(), Map.of());
            if (!tops.isEmpty()) {
                System.out.println("\n\"other\", by top frame and line (at most 4): " + String.join(", ", tops.entrySet().stream()
                        .sorted((a, b) -> b.getValue() - a.getValue()).limit(4).map(x -> x.getKey() + " " + x.getValue()).toList()));
            }
        }
    }

    private PagePathProfile() {}
}
