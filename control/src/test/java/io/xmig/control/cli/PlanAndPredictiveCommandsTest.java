package io.xmig.control.cli;

import io.xmig.control.report.MigrationReport;
import io.xmig.control.report.ReportWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static io.xmig.control.cli.CliRun.xmig;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code xmig plan} and {@code xmig migrate --policy predictive [--start-when quiet]} as a user runs them. */
@Timeout(180)
class PlanAndPredictiveCommandsTest {
    static final String PHASED = "phased:rate=20000,quiet=1500ms,burst=1000ms,quiet_rate=300,ws=16M";

    @TempDir
    Path dir;

    @Test
    void planPredictsEveryPolicyAndAdvisesAStart() throws Exception {
        Path json = dir.resolve("plan.json");
        CliRun r = xmig("plan", "--mem", "32M", "--workload", PHASED, "--bandwidth", "16MiB", "--observe", "1s",
                "--forecaster", "ewma", "--json", json.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        for (String p : new String[]{"xen-default", "downtime-limit", "postcopy-only", "postcopy-after-first-pass",
                "hybrid-threshold", "predictive"}) {
            assertThat(r.out()).containsPattern("(?m)^  " + p + " +(stop_and_copy|start_postcopy|abort) ");
        }
        assertThat(r.out()).contains("forecast  ewma(0.5) after").containsPattern("(?m)^  start     (now|in )");
        assertThat(Files.readString(json)).contains("\"predictions\"").contains("\"remote_faults\"");
    }

    @Test
    void aCorruptModelIsSaidAndTheEwmaFallbackRuns() throws Exception {
        Path model = dir.resolve("corrupt.zip");
        Files.writeString(model, "not a model");
        CliRun r = xmig("plan", "--mem", "16M", "--workload", PHASED.replace("ws=16M", "ws=8M"), "--bandwidth", "16MiB",
                "--observe", "1s", "--forecaster", "lstm:" + model, "--policies", "predictive");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).contains(model.toString()).contains("falling back to EWMA");
        assertThat(r.out()).contains("forecast  ewma(0.5), the fallback: ");
    }

    @Test
    void planNeedsTheLinkAndAKnownForecaster() {
        assertThat(xmig("plan", "--mem", "32M").exit()).isEqualTo(2);
        CliRun bad = xmig("plan", "--mem", "32M", "--bandwidth", "16MiB", "--observe", "0s", "--forecaster", "crystal-ball");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("bad forecaster 'crystal-ball'").contains("oracle");
    }

    @Test
    void predictiveWithAQuietStartRecordsTheWaitAndEveryDecision() throws Exception {
        Path report = dir.resolve("r.json");
        CliRun r = xmig("migrate", "--local", "--mem", "32M", "--workload", PHASED, "--bandwidth", "16MiB",
                "--policy", "predictive:limit=40ms", "--forecaster", "ewma", "--start-when", "quiet", "--max-wait", "3s",
                "--forecast-warmup", "1s", "--report", report.toString(), "--telemetry", dir.resolve("t.csv").toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).containsPattern("quiet window|no quiet window within 3000 ms");
        MigrationReport rep = ReportWriter.read(report);
        assertThat(rep.forecaster()).isEqualTo("ewma(0.5)");
        assertThat(rep.startWaitMs()).isNotNull().isBetween(0.0, 3_500.0);
        assertThat(rep.verify().pagesDiffering()).isZero();
        MigrationReport.Round first = rep.rounds().getFirst();
        assertThat(first.decision()).isNotNull();
        assertThat(first.decision().estimates()).isNotEmpty();
        assertThat(first.forecast().dirtyPagesPerS()).hasSize(20);
        assertThat(r.out()).contains("forecast  ewma(0.5), started after waiting");
        // the telemetry of the whole run, in the training format, with the migration's bandwidth while it ran
        io.xmig.predictor.telemetry.TelemetryTrace t = io.xmig.predictor.telemetry.TelemetryCsv.read(dir.resolve("t.csv"));
        assertThat(t.size()).isGreaterThanOrEqualTo(4);
        assertThat(t.samples()).anyMatch(s -> s.bandwidthBytesPerSecond() > 1 << 20);
        assertThat(t.samples()).anyMatch(s -> s.hotSetPages() > 0);
    }

    @Test
    void aQuietStartNeedsABandwidthCap() {
        CliRun r = xmig("migrate", "--local", "--mem", "8M", "--start-when", "quiet");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--start-when quiet needs --bandwidth");
        assertThat(xmig("migrate", "--local", "--mem", "8M", "--start-when", "later").err()).contains("now or quiet");
        CliRun badWait = xmig("migrate", "--local", "--mem", "8M", "--max-wait", "soon");
        assertThat(badWait.exit()).isEqualTo(2);
        assertThat(badWait.err()).contains("--max-wait takes a duration such as 30s or 10m, not 'soon'");
    }
}
