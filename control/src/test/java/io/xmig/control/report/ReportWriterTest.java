package io.xmig.control.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xmig.control.policy.Decision;
import io.xmig.control.policy.RoundStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReportWriterTest {
    /** The schema's top-level fields, in order, exactly as docs/REPORT.md documents them. */
    static final List<String> TOP_LEVEL = List.of("status", "policy", "workload", "guest_pages", "guest_bytes", "page_size",
            "channels", "bandwidth_limit_bytes_per_s", "bytes_sent", "pages_sent", "zero_pages", "rounds",
            "total_time_ms", "downtime_ms", "verify_ms", "guest_max_stall_ms", "switch", "verify", "error", "started_at",
            "postcopy", "kv_latency_us", "resend", "compression", "forecaster", "start_wait_ms");

    static MigrationReport completed() {
        RoundStats r0 = new RoundStats(0, 262_144, 200_000, 253_000_000, 9_000, 2_500_000_000L, 2_500_000_000L,
                RoundStats.bytesPerSecond(253_000_000, 2_500_000_000L), 9_000L * 4096, 262_144, 4096, 0, Optional.empty());
        RoundStats r1 = new RoundStats(1, 9_000, 12, 36_900_000, 40, 360_000_000L, 2_860_000_000L,
                RoundStats.bytesPerSecond(36_900_000, 360_000_000L), 40L * 4096, 262_144, 4096, 0, Optional.empty());
        return MigrationReport.builder()
                .status(MigrationReport.Status.COMPLETED)
                .policy("downtime-limit:limit=300ms")
                .workload("sweep:rate=10k")
                .guestPages(262_144).pageSize(4096).channels(2)
                .bandwidthLimitBytesPerS(100L << 20)
                .bytesSent(290_064_000).pagesSent(271_184).zeroPages(200_012)
                .round(r0).round(r1)
                .round(new MigrationReport.Round(2, 40, 0, 165_000, 0, 1.25, 132_000_000))
                .totalTimeMs(2_901.5).downtimeMs(4.75).verifyMs(812.0).guestMaxStallMs(6.5)
                .switchover(1, Decision.stopAndCopy("expected downtime 1.6 ms <= 300.0 ms limit"))
                .verify(new MigrationReport.Verify(262_144, 0, MigrationReport.VerifyMethod.XXH64))
                .startedAt(Instant.parse("2025-06-01T12:34:56.123456789Z"))
                .build();
    }

    static MigrationReport failed() {
        return MigrationReport.builder()
                .status(MigrationReport.Status.FAILED)
                .policy("xen-default")
                .guestPages(1024).pageSize(4096).channels(1)
                .bandwidthLimitBytesPerS(0L)
                .totalTimeMs(12.0)
                .error("connection refused by 127.0.0.1:7000")
                .startedAt(Instant.parse("2025-06-01T00:00:00Z"))
                .build();
    }

    @Test
    void roundTrip() {
        for (MigrationReport report : List.of(completed(), failed())) {
            String json = ReportWriter.toJson(report);
            assertThat(ReportWriter.fromJson(json)).isEqualTo(report);
            assertThat(ReportWriter.toJson(ReportWriter.fromJson(json))).isEqualTo(json);
        }
    }

    /** A predictive round: the decision with its estimates and the forecast it saw survive the round trip. */
    @Test
    void decisionsAndForecastsRoundTrip() {
        io.xmig.control.policy.Forecast f = new io.xmig.control.policy.Forecast("lstm(bundled)",
                new io.xmig.predictor.HorizonForecast(0, 250, new double[]{1200.4, 800}, new double[]{0.5, 0.25}), 4096);
        RoundStats r0 = new RoundStats(0, 1024, 0, 4_200_000, 300, 100_000_000L, 100_000_000L,
                RoundStats.bytesPerSecond(4_200_000, 100_000_000L), 300L * 4096, 1024, 4096, 0, Optional.of(f));
        Decision d = new Decision(io.xmig.control.policy.Action.CONTINUE_PRECOPY, "wait: a quiet spell is coming",
                List.of(new io.xmig.control.policy.Estimate(io.xmig.control.policy.Action.STOP_AND_COPY, 0, 29.6, 1_228_800,
                        29.6, 0, false)));
        MigrationReport report = MigrationReport.builder().status(MigrationReport.Status.ABORTED).policy("predictive")
                .guestPages(1024).pageSize(4096).channels(1).round(MigrationReport.Round.of(r0, 0, 0, d))
                .forecaster("lstm(bundled)").startWaitMs(750.0).startedAt(Instant.EPOCH).build();
        String json = ReportWriter.toJson(report);
        assertThat(ReportWriter.fromJson(json)).isEqualTo(report);
        assertThat(json).contains("\"action\": \"continue_precopy\"").contains("\"meets_target\": false")
                .containsPattern("\"dirty_pages_per_s\": \\[\\s*1200.0,\\s*800.0\\s*]").contains("\"working_set_pages\": 4096")
                .contains("\"forecaster\": \"lstm(bundled)\"").contains("\"start_wait_ms\": 750.0");
    }

    @Test
    void topLevelFieldsAreExactlyTheDocumentedOnes() throws Exception {
        JsonNode node = new ObjectMapper().readTree(ReportWriter.toJson(failed()));
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactlyElementsOf(TOP_LEVEL);
    }

    @Test
    void fieldNamesAsDocumented() {
        String json = ReportWriter.toJson(completed());
        assertThat(json)
                .contains("\"status\": \"completed\"")
                .contains("\"guest_pages\": 262144")
                .contains("\"guest_bytes\": 1073741824")
                .contains("\"bandwidth_limit_bytes_per_s\": 104857600")
                .contains("\"total_time_ms\": 2901.5")
                .contains("\"downtime_ms\": 4.75")
                .contains("\"guest_max_stall_ms\": 6.5")
                .contains("\"started_at\": \"2025-06-01T12:34:56.123456789Z\"")
                .contains("\"error\": null");
        assertThat(json).containsPattern("\"switch\": \\{\\s*\"decision\": \"stop_and_copy\",\\s*\"round\": 1,\\s*\"reason\": ");
        assertThat(json).containsPattern("\"verify\": \\{\\s*\"pages_checked\": 262144,\\s*\"pages_differing\": 0,"
                + "\\s*\"method\": \"xxh64\"\\s*}");
        assertThat(json).containsPattern("\\{\\s*\"round\": 0,\\s*\"pages_sent\": 262144,\\s*\"zero_pages\": 200000,"
                + "\\s*\"bytes_sent\": 253000000,\\s*\"pages_dirtied\": 9000,\\s*\"ms\": 2500.0,\\s*\"bytes_per_s\": 101200000,"
                + "\\s*\"hot_set_pages\": 0,\\s*\"deferred_pages\": 0,\\s*\"skipped_pages\": 0,"
                + "\\s*\"decision\": null,\\s*\"forecast\": null\\s*}");
    }

    @Test
    void nullsAreWrittenAsNull() {
        String json = ReportWriter.toJson(failed());
        for (String field : List.of("workload", "bandwidth_limit_bytes_per_s", "downtime_ms", "verify_ms",
                "guest_max_stall_ms", "switch", "verify")) {
            assertThat(json).contains("\"" + field + "\": null");
        }
        assertThat(json).containsPattern("\"error\": \\{\\s*\"message\": \"connection refused by 127.0.0.1:7000\"\\s*}");
        assertThat(json).contains("\"status\": \"failed\"").contains("\"rounds\": [ ]");
    }

    @Test
    void prettyPrintedWithTwoSpaces() {
        String json = ReportWriter.toJson(failed());
        assertThat(json).startsWith("{\n  \"status\": \"failed\",\n  \"policy\": \"xen-default\",\n");
        assertThat(json).doesNotContain("\r").doesNotEndWith("\n");
    }

    @Test
    void writesAndReadsFiles(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("report.json");
        ReportWriter.write(file, completed());
        assertThat(Files.readString(file)).endsWith("}\n");
        ReportWriter.write(file, failed());   // replaces the whole file
        assertThat(ReportWriter.read(file)).isEqualTo(failed());
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(file);
        }
    }

    @Test
    void readersIgnoreFieldsAddedLater() {
        String json = ReportWriter.toJson(failed()).replaceFirst("\\{", "{\n  \"hot_set_pages\": 17,");
        assertThat(ReportWriter.fromJson(json)).isEqualTo(failed());
    }

    @Test
    void rejectsWhatIsNotAReport() {
        assertThatThrownBy(() -> ReportWriter.fromJson("{\"status\": \"completed\"}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a migration report");
        assertThatThrownBy(() -> ReportWriter.fromJson(ReportWriter.toJson(failed()).replace("\"failed\"", "\"exploded\"")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ReportWriter.fromJson(ReportWriter.toJson(failed()).replace("2025-06-01T00:00:00Z", "yesterday")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderRules() {
        assertThat(failed().bandwidthLimitBytesPerS()).as("0 = unlimited = null").isNull();
        assertThat(failed().guestBytes()).isEqualTo(1024L * 4096);
        assertThatThrownBy(() -> MigrationReport.builder().status(MigrationReport.Status.FAILED).policy("xen-default")
                .pageSize(4096).startedAt(Instant.EPOCH).build())
                .hasMessageContaining("needs an error");
        assertThat(MigrationReport.VerifyMethod.of("direct")).isEqualTo(MigrationReport.VerifyMethod.DIRECT);
        assertThatThrownBy(() -> MigrationReport.VerifyMethod.of("md5")).isInstanceOf(IllegalArgumentException.class);
    }

    /** docs/REPORT.md's example is exactly what the writer produces for it: the documented shape cannot drift. */
    @Test
    void theDocumentedExampleIsWhatTheWriterWrites() throws Exception {
        String md = Files.readString(Path.of("..", "docs", "REPORT.md"));
        Matcher m = Pattern.compile("(?s)```json\n(.*?)\n```").matcher(md);
        assertThat(m.find()).as("a ```json example in docs/REPORT.md").isTrue();
        String example = m.group(1);
        MigrationReport report = ReportWriter.fromJson(example);
        assertThat(ReportWriter.toJson(report)).isEqualTo(example);
        assertThat(report.bytesSent()).isEqualTo(report.rounds().stream().mapToLong(MigrationReport.Round::bytesSent).sum());
        assertThat(report.pagesSent()).isEqualTo(report.rounds().stream().mapToLong(MigrationReport.Round::pagesSent).sum());
    }

    /** docs/REPORT.md's table documents every field the writer produces, and nothing else. */
    @Test
    void theSchemaDocumentMatchesTheCode() throws Exception {
        Path doc = Path.of("..", "docs", "REPORT.md");
        assertThat(doc).exists();
        String md = Files.readString(doc);
        List<String> documented = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\| `([a-z_.\\[\\]]+)` \\|").matcher(md);
        while (m.find()) documented.add(m.group(1));
        List<String> topLevel = documented.stream().filter(f -> !f.contains(".") && !f.contains("[")).toList();
        assertThat(topLevel).containsExactlyElementsOf(TOP_LEVEL);
        assertThat(documented).contains("rounds[].round", "rounds[].pages_sent", "rounds[].zero_pages",
                "rounds[].bytes_sent", "rounds[].pages_dirtied", "rounds[].ms", "rounds[].bytes_per_s",
                "switch.decision", "switch.round", "switch.reason", "verify.pages_checked", "verify.pages_differing",
                "verify.method", "error.message");
    }
}
