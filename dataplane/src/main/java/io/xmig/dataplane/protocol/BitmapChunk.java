package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import io.xmig.dataplane.hypervisor.PageBitmap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A slice of a page bitmap: POSTCOPY_DISCARD (0x40, source to destination: pages to drop and fetch again) or
 * WRITTEN_PAGES (0x46, destination to source: pages its guest wrote since it resumed) or RECOVER_MISSING (0x47,
 * destination to source after a post-copy reconnect: pages it still lacks). Body:
 * {@code u64 first_pfn (a multiple of 64) · u32 words (1..MAX_BITMAP_WORDS) · u32 reserved · words × u64}; bit i of
 * word w is page first_pfn + 64 w + i. Bits past the guest's last page must be 0. Owns its array; any thread.
 */
public record BitmapChunk(FrameType type, long firstPfn, long[] words) {
    public static final int FIXED_BYTES = 16;

    public BitmapChunk {
        Objects.requireNonNull(words, "words");
        if (type != FrameType.POSTCOPY_DISCARD && type != FrameType.WRITTEN_PAGES && type != FrameType.RECOVER_MISSING) {
            throw new IllegalArgumentException(String.valueOf(type));
        }
        if (firstPfn < 0 || (firstPfn & 63) != 0) throw new IllegalArgumentException("firstPfn " + firstPfn);
        if (words.length < 1 || words.length > Protocol.MAX_BITMAP_WORDS) throw new IllegalArgumentException(words.length + " words");
    }

    /** The set pages of {@code bits} as chunks of {@code type}, leaving out chunks with nothing set. */
    public static List<BitmapChunk> split(FrameType type, PageBitmap bits) {
        List<BitmapChunk> out = new ArrayList<>();
        for (long w0 = 0; w0 < bits.words(); w0 += Protocol.MAX_BITMAP_WORDS) {
            int n = (int) Math.min(Protocol.MAX_BITMAP_WORDS, bits.words() - w0);
            long[] w = new long[n];
            boolean any = false;
            for (int k = 0; k < n; k++) any |= (w[k] = bits.word(w0 + k)) != 0;
            if (any) out.add(new BitmapChunk(type, w0 * 64, w));
        }
        return out;
    }

    /** Sets this chunk's pages in {@code bits} (a bitmap of the guest the chunk was decoded against). */
    public void orInto(PageBitmap bits) {
        for (int k = 0; k < words.length; k++) if (words[k] != 0) bits.orWord(firstPfn / 64 + k, words[k]);
    }

    public void encode(ByteBuf out) {
        int start = Wire.begin(out, type);
        out.writeLong(firstPfn);
        out.writeInt(words.length);
        out.writeInt(0);
        for (long w : words) out.writeLong(w);
        Wire.end(out, start);
    }

    /** Decodes and validates against the guest's size: the chunk lies within it and no bit names a page past it. */
    public static BitmapChunk decode(FrameType type, ByteBuf body, long guestPages) {
        Wire.minBody(body, type, FIXED_BYTES);
        int i = body.readerIndex();
        long first = body.getLong(i);
        long words = body.getUnsignedInt(i + 8);
        Wire.zero(body.getUnsignedInt(i + 12), type, "reserved");
        if ((first & 63) != 0) throw ProtocolException.malformed(type + " first_pfn " + Long.toUnsignedString(first) + " is not a multiple of 64");
        if (words < 1 || words > Protocol.MAX_BITMAP_WORDS) {
            throw ProtocolException.malformed(type + " words " + words + " outside 1.." + Protocol.MAX_BITMAP_WORDS);
        }
        int rest = body.readableBytes() - FIXED_BYTES;
        if (rest != words * Long.BYTES) {
            throw ProtocolException.malformed(type + " announces " + words + " words, the body has " + rest + " bytes of them");
        }
        long pages = Math.min(words * 64, guestPages - Math.min(Long.remainderUnsigned(first, Long.MAX_VALUE), guestPages));
        Wire.pageRange(first, Math.max(1, pages), guestPages, type.toString());
        long[] w = new long[(int) words];
        for (int k = 0; k < w.length; k++) w[k] = body.getLong(i + FIXED_BYTES + k * Long.BYTES);
        long lastValid = guestPages - first;                 // pages of the chunk that exist
        for (int k = 0; k < w.length; k++) {
            long base = (long) k * 64;
            if (base >= lastValid) {
                if (w[k] != 0) throw new ProtocolException(ErrorCode.PAGE_OUT_OF_RANGE, type + " names pages from " + (first + base) + ", beyond the guest's " + guestPages);
            } else if (lastValid - base < 64 && (w[k] >>> (lastValid - base)) != 0) {
                throw new ProtocolException(ErrorCode.PAGE_OUT_OF_RANGE, type + " names a page past the guest's " + guestPages);
            }
        }
        return new BitmapChunk(type, first, w);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BitmapChunk c && c.type == type && c.firstPfn == firstPfn && Arrays.equals(c.words, words);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, firstPfn, Arrays.hashCode(words));
    }

    @Override
    public String toString() {
        return "BitmapChunk[" + type + ", firstPfn=" + firstPfn + ", words=" + words.length + "]";
    }
}
