package io.xmig.control.xenstream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.xmig.control.xenstream.XenStreamFormat.*;

/**
 * The stock receiver ({@code xl migrate-receive}) as xmig's peer, with the hand-shake of {@code tools/xl/xl_migrate.c}:
 * the receiver's banner, the stream, its "domain received" message, the sender's GO, its report and status byte.
 * Started as {@code sh -c RUNE} with the stream on its stdin and its answers on its stdout, as {@code xl migrate}
 * does with an empty ssh command ({@code RUNE} = {@code "xl migrate-receive -e"} on this host, or
 * {@code "ssh host xl migrate-receive"}). Owned and used by the sender's thread; {@link #close} ends the process.
 */
public final class StockReceiver implements AutoCloseable {
    private final Process process;
    private final InputStream answers;
    private final OutputStream stream;

    private StockReceiver(Process process) {
        this.process = process;
        this.answers = process.getInputStream();
        this.stream = new BufferedOutputStream(process.getOutputStream(), 1 << 20);
    }

    /** Starts the receiver, its stderr going to {@code log}, and waits for its banner. */
    public static StockReceiver start(String rune, Path log) throws IOException {
        Process p = new ProcessBuilder(List.of("sh", "-c", rune))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        StockReceiver r = new StockReceiver(p);
        try {
            r.expect(RECEIVER_BANNER, "banner");
        } catch (IOException e) {
            r.close();
            throw e;
        }
        return r;
    }

    /** Where the sender writes the stream. */
    public OutputStream stream() {
        return stream;
    }

    /**
     * After the stream: waits for "domain received", runs {@code renameAway} (the source must give up the name), sends
     * GO and returns the receiver's status byte (0: the domain runs there). On a non-zero status the receiver has
     * destroyed its copy and sent back its permission for the source to resume.
     */
    public int handOver(Runnable renameAway) throws IOException {
        stream.flush();
        expect(RECEIVER_READY, "ready message");
        renameAway.run();
        stream.write(PERMISSION_TO_GO);
        stream.flush();
        expect(RECEIVER_REPORT, "report message");
        int status = answers.read();
        if (status < 0) throw new IOException("stock receiver closed its answers before the status byte");
        if (status != 0) expect(PERMISSION_TO_GO, "permission for the sender to resume");
        return status;
    }

    private void expect(byte[] message, String what) throws IOException {
        byte[] got = answers.readNBytes(message.length);
        if (!Arrays.equals(got, message)) {
            throw new IOException("stock receiver sent " + printable(got) + " instead of its " + what + " "
                    + printable(message) + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")"));
        }
    }

    private static String printable(byte[] b) {
        return '"' + new String(b, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\n", "\\n").replace("\0", "\\0") + '"';
    }

    @Override
    public void close() {
        try {
            stream.close();
        } catch (IOException ignored) {
            // the receiver may be gone already
        }
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
