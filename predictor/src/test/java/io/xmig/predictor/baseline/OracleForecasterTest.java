package io.xmig.predictor.baseline;

import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;
import io.xmig.predictor.telemetry.TelemetryTrace;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OracleForecasterTest {
    static TelemetryTrace ramp(int n) {
        List<TelemetrySample> s = new ArrayList<>();
        for (int i = 1; i <= n; i++) s.add(TelemetrySample.of(i * 250L, i * 100, i / 100.0));
        return new TelemetryTrace("oracle", 1, 250, Map.of(), s);
    }

    @Test
    void forecastsTheRecordedFutureAlignedByTime() {
        OracleForecaster o = new OracleForecaster(ramp(40), 4);
        // a live sample at t = 1,010 ms is nearest the recorded t = 1,000 ms (index 3): the future is rows 4..7
        HorizonForecast f = o.observe(TelemetrySample.of(1010, 123, 0.5));
        assertThat(f.dirtySeries()).containsExactly(500, 600, 700, 800);
        assertThat(f.cpu(1)).isEqualTo(0.05);
        // past the recording's end the last value holds
        assertThat(o.observe(TelemetrySample.of(9_900, 0, 0)).dirtySeries()).containsExactly(4000, 4000, 4000, 4000);
    }

    @Test
    void needsARecording() {
        assertThatThrownBy(() -> new OracleForecaster(new TelemetryTrace("oracle", 1, 250, Map.of(), List.of()), 4))
                .hasMessageContaining("recorded trace");
    }
}
