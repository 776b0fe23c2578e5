package io.xmig.control.cli;

import io.xmig.predictor.dataset.Split;
import io.xmig.predictor.dataset.SplitRule;
import io.xmig.predictor.dataset.TraceSets;
import io.xmig.predictor.lstm.LstmModel;
import io.xmig.predictor.lstm.LstmTrainer;
import io.xmig.predictor.lstm.TrainingConfig;
import io.xmig.predictor.telemetry.TelemetryTrace;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code xmig train}: trains the LSTM forecaster on a dataset's training traces, picks the epoch on its validation
 * traces, and writes the model zip (docs/FORECAST.md, "Training"). Held-out traces are never read.
 * DL4J needs a bounded heap: run it with {@code XMIG_HEAP=2g bin/xmig train ...}; {@code OMP_NUM_THREADS} as you like.
 */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train the LSTM dirty-rate/CPU forecaster.")
final class TrainCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--traces", required = true, description = "Dataset directory (from xmig traces).")
    Path traces;

    @Option(names = "--out", required = true, description = "Model file to write (zip).")
    Path out;

    @Option(names = "--config", defaultValue = "shipped", description = "Preset: tiny (seconds, for CI) or shipped (default: ${DEFAULT-VALUE}); the options below override it.")
    String preset;

    @Option(names = "--epochs", description = "Epochs at most.")
    Integer epochs;

    @Option(names = "--hidden", description = "LSTM units per layer.")
    Integer hidden;

    @Option(names = "--layers", description = "LSTM layers.")
    Integer layers;

    @Option(names = "--learning-rate", description = "Adam's learning rate.")
    Double learningRate;

    @Option(names = "--batch", description = "Sequences per minibatch.")
    Integer batch;

    @Option(names = "--tbptt", description = "Truncated BPTT length in samples.")
    Integer tbptt;

    @Option(names = "--patience", description = "Early stop after N epochs without a better validation score (0: never).")
    Integer patience;

    @Option(names = "--crop", description = "Random start offset of training sequences, in samples, at most.")
    Integer crop;

    @Option(names = "--horizon", defaultValue = "5s", description = "How far ahead to forecast (default: ${DEFAULT-VALUE}).")
    String horizon;

    @Option(names = "--seed", description = "Initialisation and shuffling seed.")
    Long seed;

    @Override
    public Integer call() {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<TelemetryTrace> train = TraceSets.load(traces, Split.TRAIN, SplitRule.DEFAULT);
        List<TelemetryTrace> validation = TraceSets.load(traces, Split.VALIDATION, SplitRule.DEFAULT);
        if (train.isEmpty()) throw new ParameterException(spec.commandLine(), "no training traces in " + traces);
        long interval = train.getFirst().intervalMillis();
        long horizonMs = TracesCommand.millis(spec, "--horizon", horizon);
        int h = (int) Math.max(1, Math.round((double) horizonMs / interval));
        TrainingConfig base = switch (preset) {
            case "tiny" -> TrainingConfig.tiny(h);
            case "shipped" -> TrainingConfig.shipped(h);
            default -> throw new ParameterException(spec.commandLine(), "--config is tiny or shipped, not " + preset);
        };
        TrainingConfig cfg;
        try {
            cfg = new TrainingConfig(or(hidden, base.hidden()), or(layers, base.layers()), or(epochs, base.epochs()),
                    learningRate == null ? base.learningRate() : learningRate, or(batch, base.batchSize()), or(tbptt, base.tbptt()),
                    or(patience, base.patience()), or(crop, base.maxCrop()), h, seed == null ? base.seed() : seed);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        long t0 = System.nanoTime();
        LstmModel model = new LstmTrainer(cfg, line -> {
            err.println("xmig train: " + line);
            err.flush();
        }).train(train, validation);
        model.save(out);
        o.printf(Locale.ROOT, "xmig train: wrote %s (%d bytes, %d parameters): %d-step horizon at %d ms, best epoch %s of %s, "
                        + "validation WAPE(dirty)+WAPE(cpu) %s, in %.1f s%n", out, out.toFile().length(), model.parameterCount(), h, interval,
                model.info().get("best_epoch"), model.info().get("epochs_run"), model.info().get("validation_score"), (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static int or(Integer v, int d) {
        return v == null ? d : v;
    }
}
