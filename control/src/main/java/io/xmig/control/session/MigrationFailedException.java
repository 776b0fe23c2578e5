package io.xmig.control.session;

/** The migration cannot complete; the message says why in words an operator can act on. */
public class MigrationFailedException extends RuntimeException {
    public MigrationFailedException(String message) {
        super(message);
    }
}
