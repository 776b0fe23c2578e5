package io.xmig.dataplane.transport;

import io.xmig.dataplane.pagepath.PagePathException;
import io.xmig.dataplane.protocol.ErrorCode;

/** The peer answered a HELLO with an ERROR: {@link #code()} says why (e.g. UNKNOWN_SESSION for a recovery it cannot take). */
public class PeerRefusedException extends PagePathException {
    private final ErrorCode code;

    public PeerRefusedException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
