package io.xmig.predictor.lstm;

import io.xmig.predictor.Forecaster;
import io.xmig.predictor.HorizonForecast;
import io.xmig.predictor.telemetry.TelemetrySample;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The LSTM forecaster online: each {@link #observe} computes the sample's features, standardises them, and runs one
 * time step of the network with {@code rnnTimeStep} (the network keeps its state between calls), then turns the
 * outputs, standardised changes of {@code log1p(rate)} and of CPU for steps 1..H, back into rates and utilisations.
 * No window is re-run: one sample in, one step of work.
 *
 * <p>Forecasts are clamped at 0 (a rate or a utilisation cannot be negative). Each instance runs its own copy of the
 * network (the recurrent state lives in it), so several guests can share one {@link LstmModel}; one thread at a time
 * per instance.
 */
public final class LstmForecaster implements Forecaster {
    private final LstmModel model;
    private final String name;
    private final FeatureExtractor features = new FeatureExtractor();
    private final double[] raw = new double[FeatureExtractor.COUNT];
    private final INDArray input;
    private final int h;
    private final MultiLayerNetwork net;

    public LstmForecaster(LstmModel model, String name) {
        this.model = model;
        this.name = name;
        this.h = model.horizonSteps();
        this.input = Nd4j.create(DataType.FLOAT, 1, FeatureExtractor.COUNT);
        this.net = model.network().clone();
        net.rnnClearPreviousState();
    }

    @Override
    public String name() {
        return name;
    }

    public LstmModel model() {
        return model;
    }

    @Override
    public long intervalMillis() {
        return model.intervalMillis();
    }

    @Override
    public int horizonSteps() {
        return h;
    }

    @Override
    public HorizonForecast observe(TelemetrySample s) {
        features.next(s.dirtyPagesPerSecond(), s.cpuUtil(), raw);
        Normaliser in = model.inputs(), out = model.targets();
        for (int i = 0; i < raw.length; i++) input.putScalar(0, i, in.apply(i, raw[i]));
        INDArray y = net.rnnTimeStep(input);
        double ld = Math.log1p(s.dirtyPagesPerSecond()), cpu = s.cpuUtil();
        double[] dirty = new double[h], cpus = new double[h];
        for (int k = 0; k < h; k++) {
            dirty[k] = Math.max(0, Math.expm1(ld + out.invert(k, y.getDouble(0, k))));
            cpus[k] = Math.max(0, cpu + out.invert(h + k, y.getDouble(0, h + k)));
        }
        return new HorizonForecast(s.tMillis(), model.intervalMillis(), dirty, cpus);
    }

    @Override
    public void reset() {
        features.reset();
        net.rnnClearPreviousState();
    }

    @Override
    public void close() {
        input.close();
    }
}
