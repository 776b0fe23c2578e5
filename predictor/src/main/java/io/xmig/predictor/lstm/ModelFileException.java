package io.xmig.predictor.lstm;

import java.nio.file.Path;

/** A forecaster model file that is missing, unreadable or not what it should be; the message names the file and why. */
public final class ModelFileException extends RuntimeException {
    private final transient Path file;

    public ModelFileException(Path file, String what, Throwable cause) {
        super("forecaster model " + file + ": " + what, cause);
        this.file = file;
    }

    public ModelFileException(Path file, String what) {
        this(file, what, null);
    }

    public Path file() {
        return file;
    }
}
