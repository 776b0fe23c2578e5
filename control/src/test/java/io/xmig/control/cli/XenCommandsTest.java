package io.xmig.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.xmig.control.cli.CliRun.xmig;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code xmig xen-send} and {@code xmig xen-verify} as a user runs them on the simulator: a writing guest sent to a
 * file with the pause-point check reports 0 differing pages and a stream xen-verify accepts with the same page count;
 * a cut stream is refused with exit 1 and the reason; post-copy is refused before anything is sent.
 */
@Timeout(60)
class XenCommandsTest {
    @TempDir
    Path tmp;

    @Test
    void aSimulatedGuestSentToAFileIsExactAndVerifies() throws Exception {
        Path stream = tmp.resolve("guest.xl"), report = tmp.resolve("report.json");
        CliRun send = xmig("xen-send", "--sim-workload", "random:rate=20k,ws=8M", "--sim-mem", "16M", "--to", stream.toString(),
                "--check-at-pause", "--report", report.toString());
        assertThat(send.exit()).as(send.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(report.toFile());
        assertThat(r.get("pausePointDiffs").asLong()).isZero();
        long sent = r.get("finalPages").asLong();
        for (JsonNode round : r.get("rounds")) sent += round.get("pagesSent").asLong();

        CliRun verify = xmig("xen-verify", stream.toString());
        assertThat(verify.exit()).as(verify.err()).isZero();
        JsonNode s = new ObjectMapper().readTree(verify.out());
        assertThat(s.get("dataPages").asLong()).isEqualTo(sent);
        assertThat(s.get("domainType").asText()).isEqualTo("x86 HVM");

        byte[] whole = Files.readAllBytes(stream);
        Path cut = tmp.resolve("cut.xl");
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length / 2));
        CliRun bad = xmig("xen-verify", cut.toString());
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("stream truncated").contains("at byte");
    }

    @Test
    void postcopyIsRefusedForTheStockReceiver() {
        CliRun r = xmig("xen-send", "--sim-workload", "idle", "--sim-mem", "8M", "--policy", "postcopy-only",
                "--to", tmp.resolve("x.xl").toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("stock receiver takes pre-copy or stop-and-copy only");
    }
}
