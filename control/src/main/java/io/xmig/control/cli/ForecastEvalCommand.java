package io.xmig.control.cli;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.Forecasters;
import io.xmig.predictor.dataset.SplitRule;
import io.xmig.predictor.dataset.TraceSets;
import io.xmig.predictor.eval.EvalReport;
import io.xmig.predictor.eval.ForecastEvaluation;
import io.xmig.predictor.eval.ForecastPlot;
import io.xmig.predictor.eval.InferenceBenchmark;
import io.xmig.predictor.lstm.LstmForecaster;
import io.xmig.predictor.telemetry.TelemetryTrace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code xmig forecast-eval}: runs every forecaster online over held-out traces and prints MAE, RMSE and WAPE per
 * horizon (1 s .. H) per model and family, for the dirty rate and CPU; writes them with forecast-vs-actual plots into
 * the generated section of docs/FORECAST.md. Refuses traces the split rule would train on.
 * Exit code: 0 done, 1 a model or trace could not be used, 2 bad usage.
 */
@Command(name = "forecast-eval", mixinStandardHelpOptions = true,
        description = "Evaluate the forecasters (last value, EWMA, AR, LSTM) on held-out traces.")
final class ForecastEvalCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--traces", required = true, description = "Held-out traces: a dataset directory (its held-out/ is used) or a folder of CSVs.")
    Path traces;

    @Option(names = "--model", defaultValue = Forecasters.BUNDLED, description = "LSTM model file, or 'bundled' (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--models", split = ",", defaultValue = "last-value,ewma,ar,lstm",
            description = "Forecasters to compare (default: ${DEFAULT-VALUE}); ewma:ALPHA and ar:LAGS:WINDOW allowed.")
    List<String> models;

    @Option(names = "--doc", defaultValue = "docs/FORECAST.md", description = "Markdown file whose generated section is rewritten (default: ${DEFAULT-VALUE}).")
    Path doc;

    @Option(names = "--no-doc", description = "Only print; write no Markdown and no plots.")
    boolean noDoc;

    @Option(names = "--plots", description = "Folder for the PNG plots (default: forecast/ beside --doc).")
    Path plots;

    @Option(names = "--plot-traces", split = ",", description = "Traces to plot (default: the first held-out trace of phased, bursty, diurnal, sawtooth).")
    List<String> plotTraces;

    @Option(names = "--bench", description = "Also measure the LSTM's per-sample inference latency and CPU (adds ~10 s).")
    boolean bench;

    @Option(names = "--allow-non-held-out", description = "Evaluate on traces the split rule does not hold out (not for reporting).")
    boolean allowNonHeldOut;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<TelemetryTrace> held = TraceSets.loadForEvaluation(traces, SplitRule.DEFAULT, allowNonHeldOut);
        if (held.isEmpty()) throw new ParameterException(spec.commandLine(), "no traces in " + traces);
        long interval = held.getFirst().intervalMillis();
        int maxSteps = Forecasters.DEFAULT_HORIZON_STEPS;
        LstmForecaster lstm = null;
        if (models.contains("lstm")) {
            lstm = Forecasters.lstm(model, interval, 1);
            maxSteps = lstm.horizonSteps();
        }
        int perSecond = (int) Math.max(1, Math.round(1000.0 / interval));
        List<Integer> hs = new ArrayList<>();
        for (int k = perSecond; k <= maxSteps; k += perSecond) hs.add(k);
        if (hs.isEmpty()) hs.add(maxSteps);
        int[] horizons = hs.stream().mapToInt(Integer::intValue).toArray();
        final int steps = maxSteps;
        final LstmForecaster theLstm = lstm;
        List<Supplier<Forecaster>> factories = new ArrayList<>();
        for (String m : models) {
            if (m.equals("lstm")) factories.add(() -> new LstmForecaster(theLstm.model(), theLstm.name()));
            else {
                Forecasters.create(m, interval, steps).close();   // a bad spec fails here, before any work
                factories.add(() -> Forecasters.create(m, interval, steps));
            }
        }
        List<String> plotNames = plotTraces != null ? plotTraces : defaultPlots(held);
        long t0 = System.nanoTime();
        ForecastEvaluation ev = ForecastEvaluation.run(held, factories, horizons, plotNames);
        EvalReport report = new EvalReport(ev);
        Map<String, Long> perFamily = held.stream().collect(Collectors.groupingBy(TelemetryTrace::family, TreeMap::new, Collectors.counting()));
        o.printf(Locale.ROOT, "xmig forecast-eval: %d held-out traces (%s), %d ms interval, %.1f s%n", held.size(), perFamily, interval,
                (System.nanoTime() - t0) / 1e9);
        o.print(report.text());
        o.flush();
        String benchLine = null;
        if (bench && lstm != null) {
            lstm.reset();
            InferenceBenchmark.Result r = InferenceBenchmark.run(lstm, held.getFirst(), 500, 5000, 40);
            benchLine = r.describe();
            o.println("inference: " + benchLine);
        }
        if (!noDoc) {
            Path plotDir = plots != null ? plots : (doc.toAbsolutePath().getParent().resolve("forecast"));
            List<Path> pngs = ForecastPlot.write(ev, plotDir, 0);
            if (horizons.length > 1) pngs.addAll(ForecastPlot.write(ev, plotDir, horizons.length - 1));
            Path docDir = doc.toAbsolutePath().getParent();
            List<String> rel = pngs.stream().map(p -> docDir.relativize(p.toAbsolutePath()).toString()).toList();
            StringBuilder header = new StringBuilder();
            header.append("Generated by `xmig forecast-eval --traces ").append(traces).append(" --model ").append(model)
                    .append("` on ").append(LocalDate.now()).append(": ").append(held.size()).append(" held-out traces ")
                    .append(perFamily).append(", ").append(interval).append(" ms samples. Forecasts made in the first ")
                    .append(io.xmig.predictor.lstm.LstmTrainer.WARMUP).append(" samples of a trace are not scored.");
            if (lstm != null) {
                header.append("\n\nLSTM model: ").append(lstm.model().parameterCount()).append(" parameters, ").append(lstm.model().info());
            }
            if (benchLine != null) header.append("\n\nInference (this run): ").append(benchLine);
            EvalReport.writeSection(doc, report.markdown(header.toString(), rel));
            err.println("xmig forecast-eval: wrote " + doc + " and " + pngs.size() + " plot(s) in " + plotDir);
        }
        if (lstm != null) lstm.close();
        o.flush();
        return 0;
    }

    private static List<String> defaultPlots(List<TelemetryTrace> held) {
        Map<String, String> first = new LinkedHashMap<>();
        for (String f : List.of("phased", "bursty", "diurnal", "sawtooth")) {
            held.stream().filter(t -> t.family().equals(f)).findFirst().ifPresent(t -> first.put(f, t.name()));
        }
        return List.copyOf(first.values());
    }
}
