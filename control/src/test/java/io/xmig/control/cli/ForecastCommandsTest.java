package io.xmig.control.cli;

import io.xmig.predictor.telemetry.TelemetryCsv;
import io.xmig.predictor.telemetry.TelemetryTrace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code xmig traces}, {@code xmig train} and {@code xmig forecast-eval} end to end on a tiny dataset: two families,
 * three seeds, 3 s traces. The commands are run through their own CommandLine here, as XmigCli would run them.
 */
@Timeout(120)
class ForecastCommandsTest {
    @TempDir
    Path dir;

    private static CliRun run(Object command, String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("xmig: " + e.getMessage());
            return 1;
        });
        return new CliRun(cl.execute(args), out.toString(), err.toString());
    }

    private static List<Path> csvs(Path d) throws Exception {
        if (!Files.isDirectory(d)) return List.of();
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.toString().endsWith(".csv")).sorted().toList();
        }
    }

    @Test
    void tracesThenTrainThenForecastEvalOnATinyDataset() throws Exception {
        Path data = dir.resolve("data");
        CliRun t = run(new TracesCommand(), "--out", data.toString(), "--families", "phased,bursty", "--first-seed", "2",
                "--seeds", "3", "--duration", "3s", "--interval", "250ms", "--parallel", "3");
        assertThat(t.exit()).as(t.err()).isZero();
        assertThat(t.out()).contains("6 traces").contains("train 4").contains("held-out 2");
        // seeds 2, 3 train; seed 4 held out (seed mod 4 = 0)
        assertThat(csvs(data.resolve("train"))).extracting(p -> p.getFileName().toString())
                .containsExactly("bursty-s0002.csv", "bursty-s0003.csv", "phased-s0002.csv", "phased-s0003.csv");
        assertThat(csvs(data.resolve("held-out"))).extracting(p -> p.getFileName().toString())
                .containsExactly("bursty-s0004.csv", "phased-s0004.csv");
        assertThat(csvs(data.resolve("replay"))).hasSize(3);
        TelemetryTrace p = TelemetryCsv.read(data.resolve("train/phased-s0002.csv"));
        assertThat(p.size()).isEqualTo(12);
        assertThat(p.intervalMillis()).isEqualTo(250);
        assertThat(p.metadata()).containsKey("workload").containsEntry("dirty_source", "log-dirty");
        assertThat(java.util.Arrays.stream(p.dirty()).max().orElse(0)).isPositive();

        Path model = dir.resolve("m.zip");
        CliRun tr = run(new TrainCommand(), "--traces", data.toString(), "--out", model.toString(), "--config", "tiny", "--horizon", "1s");
        assertThat(tr.exit()).as(tr.err()).isZero();
        assertThat(tr.out()).contains("wrote " + model).contains("4-step horizon at 250 ms");
        assertThat(tr.err()).contains("epoch   1");

        Path doc = dir.resolve("docs/FORECAST.md");
        CliRun ev = run(new ForecastEvalCommand(), "--traces", data.toString(), "--model", model.toString(), "--doc", doc.toString(), "--bench");
        assertThat(ev.exit()).as(ev.err()).isZero();
        assertThat(ev.out()).contains("2 held-out traces").contains("last-value").contains("ewma(0.5)").contains("ar(").contains("lstm(m.zip)")
                .contains("WAPE of dirty pages/s").contains("goal (phased)").contains("inference: lstm(m.zip)");
        String md = Files.readString(doc);
        assertThat(md).contains("forecast-eval:begin").contains("| phased | lstm(m.zip) |").contains("![forecast vs actual](forecast/forecast-phased-s0004-1s.png)");
        assertThat(doc.resolveSibling("forecast/forecast-phased-s0004-1s.png")).exists();

        // training traces are not an evaluation set
        CliRun bad = run(new ForecastEvalCommand(), "--traces", data.resolve("train").toString(), "--model", model.toString(), "--no-doc");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("not held out");
    }

    @Test
    void aMissingModelIsAClearError() {
        Path missing = dir.resolve("none.zip");
        TelemetryCsv.write(dir.resolve("held/phased-s0004.csv"), io.xmig.predictor.telemetry.TelemetryCsv.read(write()));
        CliRun r = run(new ForecastEvalCommand(), "--traces", dir.resolve("held").toString(), "--model", missing.toString(), "--no-doc");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(missing.toString()).contains("no such file");
    }

    private Path write() {
        Path f = dir.resolve("one.csv");
        StringBuilder b = new StringBuilder(TelemetryCsv.HEADER).append('\n');
        for (int i = 1; i <= 40; i++) b.append(250 * i).append(',').append(i % 8 < 4 ? 100 : 5000).append(",0.1,0,0,phased,4\n");
        try {
            Files.writeString(f, b.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return f;
    }

    @Test
    void badUsageIsExitTwo() {
        assertThat(run(new TracesCommand(), "--out", dir.toString(), "--families", "nope").exit()).isEqualTo(2);
        assertThat(run(new TracesCommand(), "--out", dir.toString(), "--duration", "60").exit()).isEqualTo(2);
        assertThat(run(new TrainCommand(), "--traces", dir.toString(), "--out", "x.zip", "--config", "huge").exit()).isIn(1, 2);
    }
}
