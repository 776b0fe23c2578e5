package io.xmig.dataplane.protocol;

/**
 * A peer broke the protocol: the {@link ErrorCode} goes back to it in an ERROR frame (see
 * {@link ProtocolErrorHandler}) and the message says what was wrong, in terms a reader of {@code docs/PROTOCOL.md}
 * recognises (frame, run, field, value, limit). Thrown on the thread that decoded the offending bytes.
 */
public class ProtocolException extends RuntimeException {
    private final ErrorCode code;

    public ProtocolException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ProtocolException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    @Override
    public String toString() {
        return "ProtocolException[" + code + "]: " + getMessage();
    }

    static ProtocolException malformed(String message) {
        return new ProtocolException(ErrorCode.MALFORMED_FRAME, message);
    }
}
