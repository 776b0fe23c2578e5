package io.xmig.dataplane.pagepath;

/** The page path cannot go on: a channel closed, a peer sent an error, a sender failed. */
public class PagePathException extends RuntimeException {
    public PagePathException(String message) {
        super(message);
    }

    public PagePathException(String message, Throwable cause) {
        super(message, cause);
    }
}
