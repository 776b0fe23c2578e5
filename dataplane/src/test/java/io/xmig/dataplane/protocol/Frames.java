package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

import java.util.UUID;
import java.util.function.Consumer;

/** Test fixtures: valid handshakes, and raw frames built byte by byte so that any field can be wrong. */
final class Frames {
    static final UUID SESSION = new UUID(0x0123456789abcdefL, 0xfedcba9876543210L);
    static final long GUEST_PAGES = 1L << 20;
    static final int PAGE = Protocol.PAGE_SIZE;

    private Frames() {}

    static Hello hello(ChannelRole role, int channelIndex, int bulkChannels) {
        return new Hello(role, channelIndex, SESSION, GUEST_PAGES, PAGE, bulkChannels, 0);
    }

    static Hello bulkHello() {
        return hello(ChannelRole.BULK, 0, 1);
    }

    static Hello controlHello() {
        return hello(ChannelRole.CONTROL, 0, 4);
    }

    static ByteBuf alloc() {
        return ByteBufAllocator.DEFAULT.directBuffer();
    }

    /** {@code frame} encoded into a fresh direct buffer. */
    static ByteBuf encoded(Consumer<ByteBuf> frame) {
        ByteBuf out = alloc();
        frame.accept(out);
        return out;
    }

    /** A frame with a correct length field and the given type, flags and body. */
    static ByteBuf raw(int type, int flags, Consumer<ByteBuf> body) {
        ByteBuf out = alloc();
        out.writeInt(0).writeByte(type).writeByte(flags).writeShort(0);
        body.accept(out);
        out.setInt(0, out.writerIndex() - 4);
        return out;
    }

    static ByteBuf raw(FrameType type, Consumer<ByteBuf> body) {
        return raw(type.code(), 0, body);
    }

    /** A HELLO body with every field given, valid or not. */
    static Consumer<ByteBuf> helloBody(int magic, int version, int role, int channelIndex, long guestPages,
                                       int pageSize, int bulkChannels, int capabilities) {
        return b -> b.writeInt(magic).writeShort(version).writeByte(role).writeByte(channelIndex)
                .writeLong(SESSION.getMostSignificantBits()).writeLong(SESSION.getLeastSignificantBits())
                .writeLong(guestPages).writeInt(pageSize).writeShort(bulkChannels).writeShort(capabilities);
    }

    /** A PAGES body of zero runs given as (first_pfn, page_count, run_flags) triples, with no data. */
    static Consumer<ByteBuf> zeroRuns(int round, long... triples) {
        return b -> {
            b.writeInt(round).writeShort(triples.length / 3).writeShort(0);
            for (int i = 0; i < triples.length; i += 3) {
                b.writeLong(triples[i]).writeInt((int) triples[i + 1]).writeInt((int) triples[i + 2]);
            }
        };
    }
}
