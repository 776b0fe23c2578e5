package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.util.Objects;
import java.util.UUID;

/**
 * HELLO (0x01), source to destination, the first frame on every connection: who is calling (magic, version), for
 * which session, as which connection, and the session's shape (guest size, page size, bulk channel count).
 * Immutable; any thread.
 *
 * <p>The constructor checks only that each field fits its wire width, so a test can build a v1-invalid HELLO;
 * {@link #decode} checks every v1 rule. Body layout (40 bytes): {@code u32 magic · u16 version · u8 role ·
 * u8 channel_index · u64 session_id_msb · u64 session_id_lsb · u64 guest_pages · u32 page_size ·
 * u16 bulk_channels · u16 capabilities}.
 */
public record Hello(ChannelRole role, int channelIndex, UUID sessionId, long guestPages, int pageSize,
                    int bulkChannels, int capabilities) {
    /** Capability bit: this connection rejoins an interrupted post-copy session (QEMU's postcopy-recover). */
    public static final int CAP_RECOVER = 1;

    /**
     * Capability bit, BULK connections: the source may send PAGES_LZ4 (LZ4-compressed PAGES) on this connection; the
     * destination refuses a PAGES_LZ4 on a connection whose HELLO did not set it.
     */
    public static final int CAP_LZ4 = 2;

    public boolean recover() {
        return (capabilities & CAP_RECOVER) != 0;
    }

    public boolean lz4() {
        return (capabilities & CAP_LZ4) != 0;
    }

    public static final int BODY_BYTES = 40;

    public Hello {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(sessionId, "sessionId");
        if (channelIndex < 0 || channelIndex > 0xFF) throw new IllegalArgumentException("channelIndex " + channelIndex);
        if (bulkChannels < 0 || bulkChannels > 0xFFFF) throw new IllegalArgumentException("bulkChannels " + bulkChannels);
        if (capabilities < 0 || capabilities > 0xFFFF) throw new IllegalArgumentException("capabilities " + capabilities);
    }

    /** Writes the whole frame (header and body) at {@code out}'s writer index. */
    public void encode(ByteBuf out) {
        int start = Wire.begin(out, FrameType.HELLO);
        out.writeInt(Protocol.MAGIC);
        out.writeShort(Protocol.VERSION);
        out.writeByte(role.code());
        out.writeByte(channelIndex);
        out.writeLong(sessionId.getMostSignificantBits());
        out.writeLong(sessionId.getLeastSignificantBits());
        out.writeLong(guestPages);
        out.writeInt(pageSize);
        out.writeShort(bulkChannels);
        out.writeShort(capabilities);
        Wire.end(out, start);
    }

    /**
     * Decodes and validates a HELLO body (its readable bytes; indices are left unchanged). Magic first
     * ({@link ErrorCode#BAD_MAGIC}), then version ({@link ErrorCode#VERSION_MISMATCH}) before the size, since
     * another version may have another layout; then every field ({@link ErrorCode#MALFORMED_FRAME}).
     */
    public static Hello decode(ByteBuf body) {
        if (body.readableBytes() < 6) Wire.exactBody(body, FrameType.HELLO, BODY_BYTES);
        int i = body.readerIndex();
        int magic = body.getInt(i);
        if (magic != Protocol.MAGIC) {
            throw new ProtocolException(ErrorCode.BAD_MAGIC, String.format(
                    "HELLO magic 0x%08x, expected 0x%08x (\"XMIG\"): not an xmig peer", magic, Protocol.MAGIC));
        }
        int version = body.getUnsignedShort(i + 4);
        if (version != Protocol.VERSION) {
            throw new ProtocolException(ErrorCode.VERSION_MISMATCH, "HELLO version " + version
                    + ": the peer speaks protocol version " + version + ", this peer speaks version " + Protocol.VERSION);
        }
        Wire.exactBody(body, FrameType.HELLO, BODY_BYTES);
        ChannelRole role = ChannelRole.of(body.getUnsignedByte(i + 6));
        int channelIndex = body.getUnsignedByte(i + 7);
        UUID session = new UUID(body.getLong(i + 8), body.getLong(i + 16));
        long guestPages = body.getLong(i + 24);
        if (guestPages < 1 || guestPages > Protocol.MAX_GUEST_PAGES) {
            throw ProtocolException.malformed("HELLO guest_pages " + Long.toUnsignedString(guestPages)
                    + " outside 1.." + Protocol.MAX_GUEST_PAGES);
        }
        long pageSize = body.getUnsignedInt(i + 32);
        if (pageSize != Protocol.PAGE_SIZE) {
            throw ProtocolException.malformed("HELLO page_size " + pageSize + ": v1 supports " + Protocol.PAGE_SIZE
                    + " only");
        }
        int bulkChannels = body.getUnsignedShort(i + 36);
        if (bulkChannels < 1 || bulkChannels > Protocol.MAX_BULK_CHANNELS) {
            throw ProtocolException.malformed("HELLO bulk_channels " + bulkChannels + " outside 1.."
                    + Protocol.MAX_BULK_CHANNELS);
        }
        int capabilities = body.getUnsignedShort(i + 38);
        if ((capabilities & ~(CAP_RECOVER | CAP_LZ4)) != 0) {
            throw ProtocolException.malformed(String.format("HELLO capabilities 0x%04x: v1 defines only RECOVER (0x0001)"
                    + " and LZ4 (0x0002)", capabilities));
        }
        if (role == ChannelRole.BULK ? channelIndex >= bulkChannels : channelIndex != 0) {
            throw ProtocolException.malformed("HELLO channel_index " + channelIndex + " for a " + role + " connection"
                    + (role == ChannelRole.BULK ? " of a session with bulk_channels " + bulkChannels : ": must be 0"));
        }
        return new Hello(role, channelIndex, session, guestPages, (int) pageSize, bulkChannels, capabilities);
    }
}
