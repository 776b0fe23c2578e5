package io.xmig.predictor.telemetry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TelemetryCsvTest {
    @TempDir
    Path dir;

    @Test
    void aTraceSurvivesAWriteAndReadExactly() {
        TelemetryTrace t = new TelemetryTrace("phased", 7, 250, Map.of("workload", "phased:rate=20k,quiet=2s", "memory_mib", "160"),
                List.of(new TelemetrySample(250, 1234.5678901234, 0.123456789, 0, 0),
                        new TelemetrySample(500, 0, 0, 17, 1.5e8),
                        new TelemetrySample(751, 98765.4321, 1.02, 3, 0)));
        Path f = dir.resolve("a.csv");
        TelemetryCsv.write(f, t);
        assertThat(TelemetryCsv.read(f)).isEqualTo(t);
    }

    @Test
    void theFileHasTheDocumentedHeaderAndOneRowPerSample() throws Exception {
        Path f = dir.resolve("b.csv");
        TelemetryCsv.write(f, new TelemetryTrace("kv", 3, 500, Map.of(), List.of(TelemetrySample.of(500, 10, 0.5))));
        List<String> lines = Files.readAllLines(f);
        assertThat(lines).containsExactly("# xmig telemetry v1", "# interval_ms=500",
                "t_ms,dirty_pages_per_s,cpu_util,hot_set_pages,bandwidth_bytes_per_s,workload_family,seed",
                "500,10.0,0.5,0,0.0,kv,3");
    }

    @Test
    void withoutAnIntervalLineTheIntervalIsTheMedianStep() throws Exception {
        Path f = dir.resolve("c.csv");
        Files.writeString(f, TelemetryCsv.HEADER + "\n100,1,0,0,0,x,1\n200,1,0,0,0,x,1\n310,1,0,0,0,x,1\n400,1,0,0,0,x,1\n");
        assertThat(TelemetryCsv.read(f).intervalMillis()).isEqualTo(100);
    }

    @Test
    void aBadFileIsRefusedWithItsNameAndLine() throws Exception {
        Path f = dir.resolve("bad.csv");
        Files.writeString(f, TelemetryCsv.HEADER + "\n250,-5,0,0,0,x,1\n");
        assertThatThrownBy(() -> TelemetryCsv.read(f)).hasMessageContaining("bad.csv line 2").hasMessageContaining("dirty_pages_per_s");
        Files.writeString(f, TelemetryCsv.HEADER + "\n250,1,0,0,0,x,1\n500,1,0,0,0,y,1\n");
        assertThatThrownBy(() -> TelemetryCsv.read(f)).hasMessageContaining("changed within the file");
        Files.writeString(f, "t,dirty\n1,2\n");
        assertThatThrownBy(() -> TelemetryCsv.read(f)).hasMessageContaining("expected the header");
    }
}
