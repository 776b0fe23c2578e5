package io.xmig.predictor.dataset;

/** The three parts of a trace dataset; {@link #directory()} is the sub-folder the trace generator writes each into. */
public enum Split {
    TRAIN("train"), VALIDATION("validation"), HELD_OUT("held-out");

    private final String directory;

    Split(String directory) {
        this.directory = directory;
    }

    public String directory() {
        return directory;
    }
}
