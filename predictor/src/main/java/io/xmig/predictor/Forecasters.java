package io.xmig.predictor;

import io.xmig.predictor.baseline.ArForecaster;
import io.xmig.predictor.baseline.EwmaForecaster;
import io.xmig.predictor.baseline.LastValueForecaster;
import io.xmig.predictor.lstm.LstmForecaster;
import io.xmig.predictor.lstm.LstmModel;
import io.xmig.predictor.lstm.ModelFileException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Makes forecasters by name, and the LSTM with its fallback: {@link #fromModelOrEwma} never fails; when the model
 * cannot be used it returns the EWMA baseline and says why, so the caller can print it and the report can record
 * which forecaster ran.
 */
public final class Forecasters {
    /** The model shipped in this jar (docs/FORECAST.md, "Shipped model"): {@value}. */
    public static final String BUNDLED_MODEL = "/io/xmig/predictor/lstm-forecaster.zip";
    /** The name that selects {@link #BUNDLED_MODEL} wherever a model path is expected. */
    public static final String BUNDLED = "bundled";
    public static final long DEFAULT_INTERVAL_MILLIS = 250;
    /** Five seconds of samples at the default interval. */
    public static final int DEFAULT_HORIZON_STEPS = 20;

    private Forecasters() {
    }

    /** The forecaster that runs, and a sentence for the user and the report. */
    public record Selection(Forecaster forecaster, String description, Optional<ModelFileException> problem) {
        public boolean fellBack() {
            return problem.isPresent();
        }
    }

    /**
     * {@code last-value}, {@code ewma}, {@code ewma:ALPHA}, {@code ar}, {@code ar:LAGS:WINDOW}, {@code lstm:PATH} or
     * {@code lstm:bundled}. An LSTM spec fails with {@link ModelFileException} if its model cannot be used.
     */
    public static Forecaster create(String spec, long intervalMillis, int horizonSteps) {
        String[] p = spec.split(":", 2);
        return switch (p[0]) {
            case "last-value", "last" -> new LastValueForecaster(intervalMillis, horizonSteps);
            case "ewma" -> p.length == 1 ? new EwmaForecaster(intervalMillis, horizonSteps)
                    : new EwmaForecaster(intervalMillis, horizonSteps, Double.parseDouble(p[1]));
            case "ar" -> {
                if (p.length == 1) yield new ArForecaster(intervalMillis, horizonSteps);
                String[] q = p[1].split(":");
                if (q.length != 2) throw new IllegalArgumentException("ar takes ar:LAGS:WINDOW, not '" + spec + "'");
                yield new ArForecaster(intervalMillis, horizonSteps, Integer.parseInt(q[0]), Integer.parseInt(q[1]));
            }
            case "lstm" -> {
                if (p.length == 1) throw new IllegalArgumentException("lstm needs a model: lstm:PATH or lstm:" + BUNDLED);
                yield lstm(p[1], intervalMillis, horizonSteps);
            }
            default -> throw new IllegalArgumentException("unknown forecaster '" + p[0] + "' (last-value, ewma, ar, lstm:PATH)");
        };
    }

    /** The LSTM of {@code model} (a path, or {@value #BUNDLED}); its interval and horizon must be the ones asked for. */
    public static LstmForecaster lstm(String model, long intervalMillis, int horizonSteps) {
        LstmModel m = loadModel(model);
        Path name = Path.of(model);
        if (m.intervalMillis() != intervalMillis) {
            throw new ModelFileException(name, "trained for a " + m.intervalMillis() + " ms interval, asked for " + intervalMillis + " ms");
        }
        if (m.horizonSteps() < horizonSteps) {
            throw new ModelFileException(name, "forecasts " + m.horizonSteps() + " steps ahead, asked for " + horizonSteps);
        }
        return new LstmForecaster(m, "lstm(" + (BUNDLED.equals(model) ? BUNDLED : name.getFileName()) + ")");
    }

    public static LstmModel loadModel(String model) {
        if (!BUNDLED.equals(model)) return LstmModel.load(Path.of(model));
        Path name = Path.of("classpath:" + BUNDLED_MODEL);
        try (InputStream in = Forecasters.class.getResourceAsStream(BUNDLED_MODEL)) {
            if (in == null) throw new ModelFileException(name, "not in this build (see docs/FORECAST.md to train it)");
            return LstmModel.load(name, in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The LSTM of {@code model}, or, if it cannot be used, EWMA with the reason in the description. */
    public static Selection fromModelOrEwma(String model, long intervalMillis, int horizonSteps) {
        try {
            Forecaster f = lstm(model, intervalMillis, horizonSteps);
            return new Selection(f, "forecaster " + f.name() + " (" + f.horizonSteps() + " steps of " + intervalMillis + " ms)", Optional.empty());
        } catch (ModelFileException e) {
            Forecaster f = new EwmaForecaster(intervalMillis, horizonSteps);
            return new Selection(f, "forecaster " + f.name() + ", the fallback: " + e.getMessage(), Optional.of(e));
        }
    }
}
