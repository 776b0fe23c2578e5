package io.xmig.predictor.eval;

/** The two forecast series. */
public enum Series {
    DIRTY("dirty pages/s"), CPU("CPU utilisation");

    private final String label;

    Series(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
