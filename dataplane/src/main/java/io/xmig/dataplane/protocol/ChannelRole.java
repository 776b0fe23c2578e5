package io.xmig.dataplane.protocol;

/**
 * What a connection carries, declared by its HELLO: the one CONTROL connection (session frames), one of the N BULK
 * connections (PAGES and ROUND_END), or the FAULT connection (post-copy). Immutable; any thread.
 */
public enum ChannelRole {
    CONTROL(1),
    BULK(2),
    FAULT(3);

    private final int code;

    ChannelRole(int code) {
        this.code = code;
    }

    /** The u8 value on the wire. */
    public int code() {
        return code;
    }

    /** The role with wire value {@code code}; an unknown one is a {@link ErrorCode#MALFORMED_FRAME}. */
    public static ChannelRole of(int code) {
        return switch (code) {
            case 1 -> CONTROL;
            case 2 -> BULK;
            case 3 -> FAULT;
            default -> throw new ProtocolException(ErrorCode.MALFORMED_FRAME, "HELLO role: unknown channel role " + code);
        };
    }
}
