package io.xmig.dataplane.protocol;

import io.xmig.dataplane.protocol.FrameDecoder.Side;

import java.util.EnumSet;
import java.util.Set;

/**
 * The frame types of protocol v1, each with its wire code, the side that sends it and the connection roles it may
 * travel on ({@link FrameDecoder} enforces both on the destination; the source checks direction only, since its
 * decoder does not know the role it declared). Immutable; any thread.
 */
public enum FrameType {
    HELLO(0x01, Sender.SOURCE, EnumSet.allOf(ChannelRole.class)),
    HELLO_ACK(0x02, Sender.DESTINATION, EnumSet.allOf(ChannelRole.class)),
    /** On BULK, and on FAULT (post-copy pages answered or pushed ahead of the bulk stream). */
    PAGES(0x10, Sender.SOURCE, EnumSet.of(ChannelRole.BULK, ChannelRole.FAULT)),
    /** On BULK connections that declared {@link Hello#CAP_LZ4}: a PAGES body compressed with LZ4 (PagesInflater). */
    PAGES_LZ4(0x12, Sender.SOURCE, EnumSet.of(ChannelRole.BULK)),
    ROUND_END(0x11, Sender.SOURCE, EnumSet.of(ChannelRole.BULK)),
    VCPU_CONTEXT(0x20, Sender.SOURCE, EnumSet.of(ChannelRole.CONTROL)),
    COMPLETE(0x21, Sender.SOURCE, EnumSet.of(ChannelRole.CONTROL)),
    READY(0x22, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    VERIFY_REQUEST(0x23, Sender.SOURCE, EnumSet.of(ChannelRole.CONTROL)),
    VERIFY_HASHES(0x24, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    RESUME(0x25, Sender.SOURCE, EnumSet.of(ChannelRole.CONTROL)),
    RESUMED(0x26, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    /** Post-copy: pages the destination must drop (stale copies), a chunk of the set at a time. */
    POSTCOPY_DISCARD(0x40, Sender.SOURCE, EnumSet.of(ChannelRole.CONTROL)),
    /** Post-copy: the switch; the destination resumes the guest with the discarded pages missing. */
    POSTCOPY_START(0x41, Sender.SOURCE, EnumSet.of(ChannelRole.CONTROL)),
    POSTCOPY_RUNNING(0x42, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    /** Post-copy: pages a destination vCPU is waiting for, on the FAULT connection. */
    FAULT_REQUEST(0x43, Sender.DESTINATION, EnumSet.of(ChannelRole.FAULT)),
    POSTCOPY_DONE(0x44, Sender.SOURCE, EnumSet.of(ChannelRole.CONTROL)),
    POSTCOPY_COMPLETE(0x45, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    /** Post-copy verification: pages the destination's guest wrote since it resumed, a chunk at a time. */
    WRITTEN_PAGES(0x46, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    /** Post-copy recovery: the pages the destination still lacks after a reconnect, a chunk at a time. */
    RECOVER_MISSING(0x47, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    /** Post-copy recovery: every RECOVER_MISSING chunk has been sent (body: u64 missing pages). */
    RECOVER_READY(0x48, Sender.DESTINATION, EnumSet.of(ChannelRole.CONTROL)),
    /** Any connection: a source whose bulk sender fails may say so where it is. */
    ABORT(0x30, Sender.SOURCE, EnumSet.allOf(ChannelRole.class)),
    ERROR(0x31, Sender.EITHER, EnumSet.allOf(ChannelRole.class));

    private enum Sender { SOURCE, DESTINATION, EITHER }

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType t : values()) BY_CODE[t.code] = t;
    }

    private final int code;
    private final Sender sender;
    private final Set<ChannelRole> roles;

    FrameType(int code, Sender sender, Set<ChannelRole> roles) {
        this.code = code;
        this.sender = sender;
        this.roles = roles;
    }

    /** The u8 value on the wire. */
    public int code() {
        return code;
    }

    /** Whether {@code side} may send frames of this type. */
    public boolean sentBy(Side side) {
        return sender == Sender.EITHER || sender.name().equals(side.name());
    }

    /** Whether frames of this type may travel on a connection of {@code role}. */
    public boolean allowedOn(ChannelRole role) {
        return roles.contains(role);
    }

    /** The type with wire value {@code code}; an unknown one is an {@link ErrorCode#UNEXPECTED_FRAME}. */
    public static FrameType of(int code) {
        FrameType t = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        if (t == null) {
            throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, String.format("unknown frame type 0x%02x", code));
        }
        return t;
    }
}
