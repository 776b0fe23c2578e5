package io.xmig.dataplane.protocol;

/**
 * Why a peer refused a connection, a frame or the session: carried by ERROR frames and {@link ProtocolException}.
 * Immutable; any thread.
 */
public enum ErrorCode {
    /** The HELLO did not start with {@link Protocol#MAGIC}: not an xmig peer. */
    BAD_MAGIC(1),
    /** The peer speaks another protocol version; the message names both. */
    VERSION_MISMATCH(2),
    /** A length, count, flag, reserved field or value that breaks the frame's layout. */
    MALFORMED_FRAME(3),
    /** A page number or range beyond the negotiated guest size. */
    PAGE_OUT_OF_RANGE(4),
    /** A frame of an unknown type, or one not allowed in this state, direction, connection role or channel. */
    UNEXPECTED_FRAME(5),
    /** A second HELLO (or HELLO_ACK) on one connection. */
    DUPLICATE_HANDSHAKE(6),
    /** The HELLO names a session the destination does not know or no longer accepts connections for. */
    UNKNOWN_SESSION(7),
    /** A bug or an unexpected failure on the sender of the ERROR. */
    INTERNAL(8),
    /** The session was aborted (the source sent ABORT, or an operator asked). */
    ABORTED(9),
    /** The destination's page hashes disagree with the source's. */
    VERIFY_FAILED(10),
    /** Out of memory, buffers, mappings or connections. */
    RESOURCES(11),
    /** A length field larger than the receiver's current limit; refused before the frame is buffered. */
    FRAME_TOO_LONG(12);

    private static final ErrorCode[] BY_CODE = new ErrorCode[16];

    static {
        for (ErrorCode c : values()) BY_CODE[c.code] = c;
    }

    private final int code;

    ErrorCode(int code) {
        this.code = code;
    }

    /** The u16 value on the wire. */
    public int code() {
        return code;
    }

    /** The error with wire value {@code code}; an unknown one is a {@link #MALFORMED_FRAME} (a bad field value). */
    public static ErrorCode of(int code) {
        ErrorCode c = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (c == null) throw new ProtocolException(MALFORMED_FRAME, "unknown error code " + code);
        return c;
    }
}
