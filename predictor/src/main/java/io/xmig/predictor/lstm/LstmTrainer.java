package io.xmig.predictor.lstm;

import io.xmig.predictor.telemetry.TelemetryTrace;
import org.deeplearning4j.nn.conf.BackpropType;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LSTM;
import org.deeplearning4j.nn.conf.layers.RnnOutputLayer;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Trains the {@link LstmModel} on training traces, choosing the epoch by the validation traces.
 *
 * <p>Each time step is a training example: input, the {@link FeatureExtractor} features of the samples so far (the
 * LSTM carries the history); target, the next H changes of {@code log1p(dirty rate)} and of CPU. Loss: mean absolute
 * error of the standardised targets: an L1 loss estimates the median, and the median is the forecast with the
 * lowest absolute error, which is what WAPE and MAE score. Sequences are whole traces (started at a random crop
 * offset each epoch) with truncated BPTT, so the state the network learns to use is the state it has online after
 * many {@code rnnTimeStep} calls, not a fresh one per window.
 *
 * <p>Validation score: the mean over steps 1..H of WAPE(dirty) + WAPE(cpu) in real units, each validation trace
 * run from its first sample; the parameters of the best epoch are kept. Held-out traces are never seen here.
 */
public final class LstmTrainer {
    /** Forecasts made before this many samples of a series are not scored (the same rule as the evaluation). */
    public static final int WARMUP = 4;

    private final TrainingConfig cfg;
    private final Consumer<String> progress;

    public LstmTrainer(TrainingConfig cfg, Consumer<String> progress) {
        this.cfg = cfg;
        this.progress = progress;
    }

    public LstmModel train(List<TelemetryTrace> train, List<TelemetryTrace> validation) {
        int h = cfg.horizonSteps();
        if (train.isEmpty()) throw new IllegalArgumentException("no training traces");
        long interval = train.getFirst().intervalMillis();
        for (TelemetryTrace t : concat(train, validation)) {
            if (t.intervalMillis() != interval) {
                throw new IllegalArgumentException("trace " + t.name() + " is sampled every " + t.intervalMillis()
                        + " ms, the others every " + interval + " ms: one model is for one interval");
            }
        }
        List<TelemetryTrace> usable = train.stream().filter(t -> t.size() > h + WARMUP + 2).toList();
        if (usable.isEmpty()) throw new IllegalArgumentException("every training trace is shorter than the horizon (" + h + " steps) + " + (WARMUP + 2));
        Normaliser in = Normaliser.fit(featureRows(usable), FeatureExtractor.COUNT);
        Normaliser out = Normaliser.fit(targetRows(usable, h), 2 * h);
        MultiLayerNetwork net = new MultiLayerNetwork(configuration());
        net.init();
        progress.accept(String.format("training: %d traces (%d samples), %d validation traces, %d parameters, %s",
                usable.size(), usable.stream().mapToInt(TelemetryTrace::size).sum(), validation.size(), net.numParams(), cfg));

        Random rnd = new Random(cfg.seed());
        double best = Double.POSITIVE_INFINITY;
        INDArray bestParams = net.params().dup();
        int bestEpoch = 0, sinceBest = 0, epoch = 0;
        long t0 = System.nanoTime();
        for (epoch = 1; epoch <= cfg.epochs(); epoch++) {
            List<TelemetryTrace> order = new ArrayList<>(usable);
            Collections.shuffle(order, rnd);
            for (int i = 0; i < order.size(); i += cfg.batchSize()) {
                List<TelemetryTrace> batch = order.subList(i, Math.min(order.size(), i + cfg.batchSize()));
                net.fit(batch(batch, in, out, rnd));
            }
            double score = validation.isEmpty() ? net.score() : validationScore(net, validation, in, out, h);
            boolean better = score < best;
            if (better) {
                best = score;
                bestParams = net.params().dup();
                bestEpoch = epoch;
                sinceBest = 0;
            } else {
                sinceBest++;
            }
            progress.accept(String.format("epoch %3d: %s %.4f%s (%.1f s)", epoch,
                    validation.isEmpty() ? "training loss" : "validation WAPE(dirty)+WAPE(cpu)", score, better ? " *" : "",
                    (System.nanoTime() - t0) / 1e9));
            if (cfg.patience() > 0 && sinceBest >= cfg.patience()) {
                progress.accept("no better validation score for " + cfg.patience() + " epochs: stopping");
                break;
            }
        }
        net.setParams(bestParams);
        net.rnnClearPreviousState();
        Map<String, String> info = new LinkedHashMap<>();
        info.put("hidden", Integer.toString(cfg.hidden()));
        info.put("layers", Integer.toString(cfg.layers()));
        info.put("epochs_run", Integer.toString(Math.min(epoch, cfg.epochs())));
        info.put("best_epoch", Integer.toString(bestEpoch));
        info.put("validation_score", Double.toString(best));
        info.put("train_traces", Integer.toString(usable.size()));
        info.put("validation_traces", Integer.toString(validation.size()));
        info.put("config", cfg.toString());
        info.put("train_seconds", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
        return new LstmModel(net, interval, h, in, out, info);
    }

    MultiLayerConfiguration configuration() {
        var list = new NeuralNetConfiguration.Builder()
                .seed(cfg.seed())
                .dataType(DataType.FLOAT)
                .updater(new Adam(cfg.learningRate()))
                .weightInit(WeightInit.XAVIER)
                .gradientNormalization(GradientNormalization.ClipElementWiseAbsoluteValue)
                .gradientNormalizationThreshold(1.0)
                .list();
        int nIn = FeatureExtractor.COUNT;
        for (int l = 0; l < cfg.layers(); l++) {
            list.layer(new LSTM.Builder().nIn(nIn).nOut(cfg.hidden()).activation(Activation.TANH).build());
            nIn = cfg.hidden();
        }
        list.layer(new RnnOutputLayer.Builder(LossFunctions.LossFunction.MEAN_ABSOLUTE_ERROR)
                .activation(Activation.IDENTITY).nIn(nIn).nOut(2 * cfg.horizonSteps()).build());
        return list.backpropType(BackpropType.TruncatedBPTT).tBPTTForwardLength(cfg.tbptt()).tBPTTBackwardLength(cfg.tbptt())
                .build();
    }

    /** One minibatch: each trace cropped at a random start, features computed from there, padded and masked. */
    private DataSet batch(List<TelemetryTrace> traces, Normaliser in, Normaliser out, Random rnd) {
        int h = cfg.horizonSteps(), f = FeatureExtractor.COUNT, b = traces.size();
        int[] start = new int[b];
        int len = 0;
        for (int i = 0; i < b; i++) {
            int n = traces.get(i).size();
            int maxStart = Math.max(0, Math.min(cfg.maxCrop(), n - h - WARMUP - 2));
            start[i] = maxStart == 0 ? 0 : rnd.nextInt(maxStart + 1);
            len = Math.max(len, n - start[i]);
        }
        float[] x = new float[b * f * len], y = new float[b * 2 * h * len], fm = new float[b * len], lm = new float[b * len];
        double[] target = new double[2 * h];
        for (int i = 0; i < b; i++) {
            TelemetryTrace tr = traces.get(i);
            double[] d = tr.dirty(), c = tr.cpu();
            double[][] feats = FeatureExtractor.ofSeries(d, c, start[i]);
            for (int t = 0; t < feats.length; t++) {
                for (int j = 0; j < f; j++) x[(i * f + j) * len + t] = (float) in.apply(j, feats[t][j]);
                fm[i * len + t] = 1;
                int abs = start[i] + t;
                if (abs + h < d.length && t >= WARMUP) {
                    FeatureExtractor.targets(d, c, abs, h, target);
                    for (int j = 0; j < 2 * h; j++) y[(i * 2 * h + j) * len + t] = (float) out.apply(j, target[j]);
                    lm[i * len + t] = 1;
                }
            }
        }
        return new DataSet(Nd4j.create(x, new long[]{b, f, len}, 'c'), Nd4j.create(y, new long[]{b, 2L * h, len}, 'c'),
                Nd4j.create(fm, new long[]{b, len}, 'c'), Nd4j.create(lm, new long[]{b, len}, 'c'));
    }

    /** Mean over steps 1..H of WAPE(dirty) + WAPE(cpu), validation traces run from their first sample. */
    static double validationScore(MultiLayerNetwork net, List<TelemetryTrace> traces, Normaliser in, Normaliser out, int h) {
        double[] errD = new double[h], sumD = new double[h], errC = new double[h], sumC = new double[h];
        for (TelemetryTrace tr : traces) {
            double[] d = tr.dirty(), c = tr.cpu();
            if (d.length <= h + WARMUP) continue;
            double[][] feats = FeatureExtractor.ofSeries(d, c, 0);
            float[] x = new float[FeatureExtractor.COUNT * d.length];
            for (int t = 0; t < d.length; t++) {
                for (int j = 0; j < FeatureExtractor.COUNT; j++) x[j * d.length + t] = (float) in.apply(j, feats[t][j]);
            }
            try (INDArray input = Nd4j.create(x, new long[]{1, FeatureExtractor.COUNT, d.length}, 'c')) {
                INDArray y = net.output(input);
                for (int t = WARMUP; t + h < d.length; t++) {
                    double ld = Math.log1p(d[t]);
                    for (int k = 1; k <= h; k++) {
                        double fd = Math.max(0, Math.expm1(ld + out.invert(k - 1, y.getDouble(0, k - 1, t))));
                        double fc = Math.max(0, c[t] + out.invert(h + k - 1, y.getDouble(0, h + k - 1, t)));
                        errD[k - 1] += Math.abs(fd - d[t + k]);
                        sumD[k - 1] += Math.abs(d[t + k]);
                        errC[k - 1] += Math.abs(fc - c[t + k]);
                        sumC[k - 1] += Math.abs(c[t + k]);
                    }
                }
                y.close();
            }
        }
        double s = 0;
        for (int k = 0; k < h; k++) s += errD[k] / Math.max(1e-9, sumD[k]) + errC[k] / Math.max(1e-9, sumC[k]);
        return s / h;
    }

    private static Iterable<double[]> featureRows(List<TelemetryTrace> traces) {
        List<double[]> rows = new ArrayList<>();
        for (TelemetryTrace t : traces) Collections.addAll(rows, FeatureExtractor.ofSeries(t.dirty(), t.cpu(), 0));
        return rows;
    }

    private static Iterable<double[]> targetRows(List<TelemetryTrace> traces, int h) {
        List<double[]> rows = new ArrayList<>();
        for (TelemetryTrace t : traces) {
            double[] d = t.dirty(), c = t.cpu();
            for (int i = WARMUP; i + h < d.length; i++) {
                double[] r = new double[2 * h];
                FeatureExtractor.targets(d, c, i, h, r);
                rows.add(r);
            }
        }
        return rows;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> r = new ArrayList<>(a);
        r.addAll(b);
        return r;
    }
}
