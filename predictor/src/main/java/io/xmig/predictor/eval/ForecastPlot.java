package io.xmig.predictor.eval;

import io.xmig.predictor.telemetry.TelemetryTrace;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * PNG plots (XChart, headless) of forecast vs actual dirty rate on held-out traces: the actual series, and each
 * model's forecast for one horizon drawn at the time it forecast, so a lagging forecaster shows as a shifted curve.
 */
public final class ForecastPlot {
    private ForecastPlot() {
    }

    /** One PNG per plotted trace into {@code dir}; returns the file names. */
    public static List<Path> write(ForecastEvaluation ev, Path dir, int horizonIndex) {
        System.setProperty("java.awt.headless", "true");
        List<Path> files = new ArrayList<>();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double secs = ev.horizons()[horizonIndex] * ev.intervalMillis() / 1000.0;
        for (var e : ev.plottedTraces().entrySet()) {
            TelemetryTrace t = e.getValue();
            XYChart chart = new XYChartBuilder().width(1000).height(420)
                    .title(String.format("%s (held out): dirty pages/s, forecasts %.0f s ahead plotted at the time forecast", e.getKey(), secs))
                    .xAxisTitle("time (s)").yAxisTitle("dirty pages/s").build();
            chart.getStyler().setMarkerSize(0);
            chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
            double[] x = t.samples().stream().mapToDouble(s -> s.tMillis() / 1000.0).toArray();
            XYSeries actual = chart.addSeries("actual", x, t.dirty());
            actual.setMarker(SeriesMarkers.NONE);
            actual.setLineWidth(2.5f);
            for (String m : ev.models()) {
                if (m.startsWith("last-value")) continue;   // the actual curve shifted right: adds nothing to see
                double[] f = ev.alignedForecast(e.getKey(), m, Series.DIRTY, horizonIndex);
                List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
                for (int i = 0; i < f.length; i++) {
                    if (!Double.isNaN(f[i])) {
                        xs.add(x[i]);
                        ys.add(f[i]);
                    }
                }
                if (xs.isEmpty()) continue;
                XYSeries s = chart.addSeries(m + " +" + Math.round(secs) + "s", xs, ys);
                s.setMarker(SeriesMarkers.NONE);
                s.setLineWidth(1.2f);
            }
            Path file = dir.resolve("forecast-" + e.getKey() + "-" + Math.round(secs) + "s.png");
            try {
                BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot write " + file, ex);
            }
            files.add(file);
        }
        return files;
    }
}
