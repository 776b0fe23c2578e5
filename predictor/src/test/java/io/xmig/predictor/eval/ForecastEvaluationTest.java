package io.xmig.predictor.eval;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.Synthetic;
import io.xmig.predictor.baseline.EwmaForecaster;
import io.xmig.predictor.baseline.LastValueForecaster;
import io.xmig.predictor.telemetry.TelemetryTrace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ForecastEvaluationTest {
    @Test
    void metricsOnHandMadePairs() {
        Metrics m = new Metrics();
        m.add(110, 100);
        m.add(90, 100);
        m.add(0, 0);
        m.add(30, 0);
        assertThat(m.mae()).isCloseTo(12.5, within(1e-12));
        assertThat(m.rmse()).isCloseTo(Math.sqrt((100 + 100 + 900) / 4.0), within(1e-12));
        assertThat(m.wape()).isCloseTo(50.0 / 200, within(1e-12));
        assertThat(new Metrics().wape()).isNaN();
    }

    @Test
    void lastValueOnASquareWaveIsWrongExactlyAtTheEdges(@TempDir Path dir) throws Exception {
        TelemetryTrace t = Synthetic.trace("phased", 4, 40, i -> (i / 10) % 2 == 0 ? 100 : 300, i -> 0.5);
        List<Supplier<Forecaster>> models = List.of(() -> new LastValueForecaster(250, 4), () -> new EwmaForecaster(250, 4, 0.5));
        ForecastEvaluation ev = ForecastEvaluation.run(List.of(t), models, new int[]{1, 4}, List.of(t.name()));
        assertThat(ev.models()).containsExactly("last-value", "ewma(0.5)");
        assertThat(ev.families()).containsExactly("phased", "all");
        Metrics one = ev.metrics("last-value", "phased", Series.DIRTY, 0);
        // forecasts made at t = 4..38 for t+1: wrong (by 200) only across the 3 edges at 10, 20, 30
        assertThat(one.count()).isEqualTo(35);
        assertThat(one.mae()).isCloseTo(3 * 200 / 35.0, within(1e-9));
        assertThat(ev.metrics("last-value", "phased", Series.CPU, 1).wape()).isZero();

        EvalReport r = new EvalReport(ev);
        assertThat(r.text()).contains("WAPE of dirty pages/s").contains("last-value").contains("0.25 s").contains("1 s");
        Path doc = dir.resolve("FORECAST.md");
        Files.writeString(doc, "# Forecasting\n\nhand-written\n");
        EvalReport.writeSection(doc, r.markdown("header one", List.of()));
        EvalReport.writeSection(doc, r.markdown("header two", List.of("x.png")));
        String md = Files.readString(doc);
        assertThat(md).startsWith("# Forecasting\n\nhand-written\n").contains("header two").doesNotContain("header one")
                .contains("![forecast vs actual](x.png)");
        assertThat(md.indexOf(EvalReport.BEGIN)).isEqualTo(md.lastIndexOf(EvalReport.BEGIN));

        List<Path> pngs = ForecastPlot.write(ev, dir, 1);
        assertThat(pngs).hasSize(1);
        byte[] png = Files.readAllBytes(pngs.getFirst());
        assertThat(png.length).isGreaterThan(1000);
        assertThat(new String(png, 1, 3)).isEqualTo("PNG");
    }
}
