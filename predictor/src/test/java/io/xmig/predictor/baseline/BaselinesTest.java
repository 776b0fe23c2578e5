package io.xmig.predictor.baseline;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;
import org.junit.jupiter.api.Test;

import java.util.function.IntToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The baselines on series whose right answer is known: constant, ramp, step. */
class BaselinesTest {
    private static HorizonForecast feed(Forecaster f, int n, IntToDoubleFunction dirty, IntToDoubleFunction cpu) {
        HorizonForecast last = null;
        for (int i = 0; i < n; i++) last = f.observe(TelemetrySample.of(250L * i, dirty.applyAsDouble(i), cpu.applyAsDouble(i)));
        return last;
    }

    @Test
    void onAConstantSeriesEveryBaselineForecastsTheConstant() {
        for (Forecaster f : new Forecaster[]{new LastValueForecaster(250, 20), new EwmaForecaster(250, 20, 0.3), new ArForecaster(250, 20)}) {
            HorizonForecast fc = feed(f, 100, i -> 5000, i -> 0.25);
            assertThat(fc.steps()).isEqualTo(20);
            for (int k = 1; k <= 20; k++) {
                assertThat(fc.dirty(k)).as(f.name()).isCloseTo(5000, within(1e-6));
                assertThat(fc.cpu(k)).as(f.name()).isCloseTo(0.25, within(1e-9));
            }
        }
    }

    @Test
    void onARampLastValueAndEwmaLagWhileArExtrapolates() {
        IntToDoubleFunction ramp = i -> 1000 + 100 * i;               // +100 pages/s per sample
        HorizonForecast last = feed(new LastValueForecaster(250, 20), 60, ramp, i -> 0.1);
        assertThat(last.dirty(1)).isEqualTo(6900);
        assertThat(last.dirty(20)).isEqualTo(6900);
        // EWMA with α lags a ramp of slope s by s (1 − α) / α in steady state: 100 × 0.5 / 0.5 = 100
        HorizonForecast ewma = feed(new EwmaForecaster(250, 20, 0.5), 60, ramp, i -> 0.1);
        assertThat(ewma.dirty(1)).isCloseTo(6800, within(1e-6));
        HorizonForecast ar = feed(new ArForecaster(250, 20), 60, ramp, i -> 0.1);
        assertThat(ar.dirty(1)).isCloseTo(7000, within(30.0));
        assertThat(ar.dirty(20)).isCloseTo(8900, within(150.0));
    }

    @Test
    void afterAStepEwmaConvergesGeometricallyAndLastValueAtOnce() {
        IntToDoubleFunction step = i -> i < 30 ? 100 : 10_100;
        HorizonForecast last = feed(new LastValueForecaster(250, 4), 31, step, i -> 0);
        assertThat(last.dirty(4)).isEqualTo(10_100);
        EwmaForecaster e = new EwmaForecaster(250, 4, 0.5);
        HorizonForecast one = feed(e, 31, step, i -> 0);                      // one sample after the step: half way
        assertThat(one.dirty(1)).isCloseTo(5100, within(1e-6));
        HorizonForecast two = e.observe(TelemetrySample.of(0, 10_100, 0));     // two: three quarters
        assertThat(two.dirty(1)).isCloseTo(7600, within(1e-6));
        // long after the step, AR is back on the new level
        HorizonForecast ar = feed(new ArForecaster(250, 4), 120, step, i -> 0);
        assertThat(ar.dirty(4)).isCloseTo(10_100, within(1.0));
    }

    @Test
    void forecastsNeverGoNegative() {
        HorizonForecast ar = feed(new ArForecaster(250, 20), 60, i -> Math.max(0, 6000 - 100 * i), i -> 0);
        for (int k = 1; k <= 20; k++) assertThat(ar.dirty(k)).isGreaterThanOrEqualTo(0);
    }

    @Test
    void resetForgetsTheSeries() {
        EwmaForecaster e = new EwmaForecaster(250, 2, 0.1);
        feed(e, 10, i -> 1e6, i -> 1);
        e.reset();
        assertThat(e.observe(TelemetrySample.of(0, 7, 0.5)).dirty(2)).isEqualTo(7);
    }
}
