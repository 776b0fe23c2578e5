package io.xmig.predictor.baseline;

final class Baselines {
    private Baselines() {
    }

    static void check(long intervalMillis, int horizonSteps) {
        if (intervalMillis <= 0) throw new IllegalArgumentException("interval must be positive: " + intervalMillis);
        if (horizonSteps <= 0) throw new IllegalArgumentException("horizon must be at least one step: " + horizonSteps);
    }
}
