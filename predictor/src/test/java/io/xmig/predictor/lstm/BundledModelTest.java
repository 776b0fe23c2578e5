package io.xmig.predictor.lstm;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.Forecasters;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.Synthetic;
import io.xmig.predictor.telemetry.TelemetrySample;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The model shipped in the jar (docs/FORECAST.md, "Shipped model") loads and forecasts, and is small. */
class BundledModelTest {
    @Test
    void theBundledModelLoadsAndForecastsFiveSecondsAtTheDefaultInterval() throws Exception {
        try (var in = Forecasters.class.getResourceAsStream(Forecasters.BUNDLED_MODEL)) {
            assertThat(in).as("the shipped model %s is in the jar", Forecasters.BUNDLED_MODEL).isNotNull();
            assertThat(in.readAllBytes().length).isLessThan(1 << 20);
        }
        Forecasters.Selection sel = Forecasters.fromModelOrEwma(Forecasters.BUNDLED, Forecasters.DEFAULT_INTERVAL_MILLIS,
                Forecasters.DEFAULT_HORIZON_STEPS);
        assertThat(sel.fellBack()).as(sel.description()).isFalse();
        try (Forecaster f = sel.forecaster()) {
            assertThat(f.name()).isEqualTo("lstm(bundled)");
            assertThat(f.horizonSteps()).isEqualTo(Forecasters.DEFAULT_HORIZON_STEPS);
            HorizonForecast last = null;
            for (TelemetrySample s : Synthetic.phased(4, 60, 8, 4, 500, 30_000).samples()) last = f.observe(s);
            for (int k = 1; k <= f.horizonSteps(); k++) {
                assertThat(last.dirty(k)).isFinite().isBetween(0.0, 1e6);
                assertThat(last.cpu(k)).isFinite().isBetween(0.0, 2.0);
            }
        }
    }
}
