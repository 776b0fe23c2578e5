package io.xmig.control.session;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test fixture: {@code xmig agent --listen 127.0.0.1:0 --once} in a JVM of its own, with this JVM's class path and
 * flags, so that source and destination are really two processes. Reads the port it prints and keeps its output.
 */
final class AgentProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on ([\\d.]+):(\\d+)");
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final InetSocketAddress address;

    AgentProcess() throws Exception {
        process = xmig("agent", "--listen", "127.0.0.1:0", "--once");
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (Exception ignored) {
                // the process went away
            }
        }, "agent-output");
        reader.setDaemon(true);
        reader.start();
        InetSocketAddress found = null;
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (found == null && System.nanoTime() < end) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l == null) {
                if (!process.isAlive()) throw new IllegalStateException("agent exited with " + process.exitValue());
                continue;
            }
            Matcher m = LISTENING.matcher(l);
            if (m.find()) found = new InetSocketAddress(m.group(1), Integer.parseInt(m.group(2)));
        }
        if (found == null) throw new IllegalStateException("agent did not say where it listens");
        address = found;
    }

    /** {@code xmig ARGS} in a JVM of its own, with this JVM's class path and flags; stderr into stdout. */
    static Process xmig(String... args) throws java.io.IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--") || arg.startsWith("-Dxmig.") || arg.startsWith("-Xmx")) cmd.add(arg);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.xmig.control.cli.XmigCli"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    InetSocketAddress address() { return address; }

    /** Waits for a line containing {@code text}; null if none came in time. */
    String awaitLine(String text, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l != null && l.contains(text)) return l;
        }
        return null;
    }

    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    int waitForExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) throw new IllegalStateException("agent did not exit");
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) kill();
    }
}
