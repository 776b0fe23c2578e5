package io.xmig.control.xenstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The few toolstack steps of a migration that are not hypercalls, done with Xen's own {@code xl} as the stock sender
 * does them through libxl: the domain's configuration as libxl keeps it ({@code xl list -l}, the JSON the xl header
 * carries), its name, the rename away before GO, and the destroy after the receiver reports success. Stateless.
 */
public final class XlToolstack {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The libxl domain configuration of {@code domid} as JSON (what {@code libxl_retrieve_domain_configuration} gives). */
    public byte[] configJson(int domid) throws IOException {
        JsonNode list = JSON.readTree(xl("list", "-l", Integer.toString(domid)));
        if (!list.isArray() || list.isEmpty() || !list.get(0).has("config")) {
            throw new IOException("xl list -l " + domid + " gave no domain configuration");
        }
        return JSON.writeValueAsBytes(list.get(0).get("config"));
    }

    public String name(int domid) throws IOException {
        return new String(xl("domname", Integer.toString(domid)), StandardCharsets.UTF_8).strip();
    }

    public void rename(int domid, String newName) throws IOException {
        xl("rename", Integer.toString(domid), newName);
    }

    public void destroy(int domid) throws IOException {
        xl("destroy", Integer.toString(domid));
    }

    private static byte[] xl(String... args) throws IOException {
        List<String> cmd = new java.util.ArrayList<>(List.of("xl"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    /** Runs a Xen tool, its stderr passed through; its stdout, or an IOException when it fails or hangs. */
    static byte[] run(List<String> cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out = p.getInputStream().readAllBytes();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed" + (p.isAlive() ? " (timed out)" : " with " + p.exitValue()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + cmd, e);
        }
        return out;
    }
}
