package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Shared encode/decode steps of the frame records: writing the header and patching the length, checking a body's
 * size, reserved fields, unsigned ranges and UTF-8. Stateless; any thread. Control frames are rare, so these
 * helpers favour clear messages over avoiding allocation; the page path ({@link PagesFrameWriter},
 * {@link PagesFrameReader}) does not use the allocating ones.
 */
final class Wire {
    private Wire() {}

    /** Writes a header with a placeholder length; returns the frame's start index for {@link #end}. */
    static int begin(ByteBuf out, FrameType type) {
        int start = out.writerIndex();
        out.writeInt(0);
        out.writeByte(type.code());
        out.writeByte(0);
        out.writeShort(0);
        return start;
    }

    /** Patches the length field of the frame that starts at {@code start}; returns the frame's size in bytes. */
    static int end(ByteBuf out, int start) {
        int frameBytes = out.writerIndex() - start;
        out.setInt(start, frameBytes - 4);
        return frameBytes;
    }

    static void exactBody(ByteBuf body, FrameType type, int expected) {
        int n = body.readableBytes();
        if (n != expected) {
            throw ProtocolException.malformed(type + " body is " + n + " bytes, expected " + expected);
        }
    }

    static void minBody(ByteBuf body, FrameType type, int atLeast) {
        int n = body.readableBytes();
        if (n < atLeast) {
            throw ProtocolException.malformed(type + " body is " + n + " bytes, shorter than its " + atLeast
                    + "-byte fixed part");
        }
    }

    static void zero(long value, FrameType type, String field) {
        if (value != 0) {
            throw ProtocolException.malformed(type + " " + field + " is 0x" + Long.toHexString(value) + ", must be 0");
        }
    }

    /** A u32 that v1 keeps within a Java int (rounds): refuses 2^31 and above. */
    static int u32Int(ByteBuf body, int index, FrameType type, String field) {
        long v = body.getUnsignedInt(index);
        if (v > Integer.MAX_VALUE) throw ProtocolException.malformed(type + " " + field + " " + v + " exceeds 2^31-1");
        return (int) v;
    }

    /** A u64 that v1 keeps within a Java long (counts, nanoseconds): refuses 2^63 and above. */
    static long u64Long(ByteBuf body, int index, FrameType type, String field) {
        long v = body.getLong(index);
        if (v < 0) {
            throw ProtocolException.malformed(type + " " + field + " " + Long.toUnsignedString(v) + " exceeds 2^63-1");
        }
        return v;
    }

    /**
     * Checks that pages {@code [first, first + count)}, {@code first} read as unsigned, lie within a guest of
     * {@code guestPages} pages, without overflowing; else {@link ErrorCode#PAGE_OUT_OF_RANGE}. Allocation-free on
     * success.
     */
    static void pageRange(long first, long count, long guestPages, String what) {
        if (Long.compareUnsigned(first, guestPages) >= 0 || count > guestPages - first) {
            BigInteger end = new BigInteger(Long.toUnsignedString(first)).add(BigInteger.valueOf(count));
            throw new ProtocolException(ErrorCode.PAGE_OUT_OF_RANGE, what + ": pages [" + Long.toUnsignedString(first)
                    + ", " + end + ") beyond the guest's " + guestPages + " pages");
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code bytes} cut to at most {@code max} bytes at a UTF-8 character boundary. */
    static byte[] truncateUtf8(byte[] bytes, int max) {
        if (bytes.length <= max) return bytes;
        int cut = max;
        while (cut > 0 && (bytes[cut] & 0xC0) == 0x80) cut--;
        return java.util.Arrays.copyOf(bytes, cut);
    }

    /** {@code s}, cut if its UTF-8 form is longer than {@code max} bytes (at a character boundary). */
    static String limitUtf8(String s, int max) {
        if (s.length() * 3L <= max) return s;                       // no string that short can be too long
        byte[] utf8 = utf8(s);
        return utf8.length <= max ? s : new String(truncateUtf8(utf8, max), StandardCharsets.UTF_8);
    }

    /** Writes {@code u16 length + bytes}. */
    static void writeMessage(ByteBuf out, byte[] utf8) {
        out.writeShort(utf8.length);
        out.writeBytes(utf8);
    }

    /** Reads {@code u16 length + UTF-8} at {@code index}, which must end exactly at the body's end. */
    static String readMessage(ByteBuf body, int index, FrameType type) {
        int end = body.writerIndex();
        if (end - index < 2) throw ProtocolException.malformed(type + " body ends before its message length");
        int len = body.getUnsignedShort(index);
        if (len > Protocol.MAX_MESSAGE_BYTES) {
            throw ProtocolException.malformed(type + " message length " + len + " exceeds "
                    + Protocol.MAX_MESSAGE_BYTES + " bytes");
        }
        int rest = end - index - 2;
        if (len != rest) {
            throw ProtocolException.malformed(type + " message length " + len + " disagrees with the " + rest
                    + " bytes that follow it");
        }
        ByteBuffer bytes = ByteBuffer.allocate(len);
        body.getBytes(index + 2, bytes);
        bytes.flip();
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(ErrorCode.MALFORMED_FRAME, type + " message is not valid UTF-8", e);
        }
    }
}
