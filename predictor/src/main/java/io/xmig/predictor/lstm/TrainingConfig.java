package io.xmig.predictor.lstm;

/**
 * How {@link LstmTrainer} builds and trains the network (docs/FORECAST.md, "Training").
 *
 * @param hidden       LSTM units per layer
 * @param layers       stacked LSTM layers (1 or 2)
 * @param epochs       passes over the training traces (at most)
 * @param learningRate Adam's
 * @param batchSize    sequences per minibatch
 * @param tbptt        truncated back-propagation length, in samples
 * @param patience     stop after this many epochs without a better validation score (0: never stop early)
 * @param maxCrop      each epoch starts every training sequence at a random sample in {@code [0, maxCrop]}, so the
 *                     model learns to forecast from any phase of a pattern, as it must online
 * @param horizonSteps H, the steps forecast
 * @param seed         weight initialisation and shuffling
 */
public record TrainingConfig(int hidden, int layers, int epochs, double learningRate, int batchSize, int tbptt, int patience,
                             int maxCrop, int horizonSteps, long seed) {

    public TrainingConfig {
        if (hidden < 1 || layers < 1 || layers > 3 || epochs < 1 || batchSize < 1 || tbptt < 2 || patience < 0 || maxCrop < 0
                || horizonSteps < 1 || !(learningRate > 0)) {
            throw new IllegalArgumentException("bad training configuration: " + this);
        }
    }

    /** Seconds on 2 cores, for tests and CI. */
    public static TrainingConfig tiny(int horizonSteps) {
        return new TrainingConfig(8, 1, 3, 5e-3, 8, 32, 0, 8, horizonSteps, 42);
    }

    /** The shipped model's configuration (docs/FORECAST.md). */
    public static TrainingConfig shipped(int horizonSteps) {
        return new TrainingConfig(48, 1, 40, 5e-3, 16, 60, 10, 60, horizonSteps, 42);
    }
}
