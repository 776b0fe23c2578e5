package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Turns a PAGES_LZ4 body ({@code u32 raw_length · u32 xxh32 · LZ4 block}) back into the PAGES body it was made from,
 * which the caller then hands to {@link PagesFrameReader#wrap} like any PAGES body, so a compressed frame is checked
 * exactly as a plain one. Checks before and after decompression: a body too short for its fixed part and one block
 * byte, a raw_length outside {@code 8 .. maxPagesBody(page_size)}, an LZ4 block that is corrupt (LZ4's safe decoder
 * never reads or writes past its bounds) or that does not decode to exactly raw_length bytes, and decoded bytes whose
 * XXH32 (seed {@link Protocol#PAGES_LZ4_SEED}) is not xxh32, which catches a block damaged into another valid block:
 * each is MALFORMED_FRAME, and nothing is installed.
 *
 * <p>One per receiving BULK connection, touched only by its event-loop thread. Owns one direct buffer of the largest
 * PAGES body, made at the first compressed frame and freed by {@link #close()}; the body it returns is that buffer,
 * valid until the next {@link #inflate}.
 */
public final class PagesInflater implements AutoCloseable {
    private static final LZ4SafeDecompressor LZ4 = LZ4Factory.fastestInstance().safeDecompressor();
    private static final XXHash32 XXH32 = XXHashFactory.fastestInstance().hash32();

    private final ByteBufAllocator alloc;
    private final int maxBody;
    private ByteBuf scratch;

    public PagesInflater(ByteBufAllocator alloc, int pageSize) {
        this.alloc = alloc;
        this.maxBody = maxPagesBody(pageSize);
    }

    /** The largest PAGES body: 64 run headers and 256 data pages after the 8-byte fixed part. */
    public static int maxPagesBody(int pageSize) {
        return Protocol.PAGES_FIXED_BYTES + Protocol.MAX_RUNS_PER_FRAME * Protocol.RUN_HEADER_BYTES
                + Protocol.MAX_PAGES_PER_FRAME * pageSize;
    }

    /** The PAGES body inside the PAGES_LZ4 body {@code body} (its readable bytes). */
    public ByteBuf inflate(ByteBuf body) {
        int base = body.readerIndex();
        int n = body.readableBytes();
        int fixed = Protocol.PAGES_LZ4_FIXED_BYTES;
        if (n <= fixed) {
            throw ProtocolException.malformed("PAGES_LZ4 body is " + n + " bytes: it needs a u32 raw_length, a u32 xxh32 and an LZ4 block");
        }
        long raw = body.getUnsignedInt(base);
        if (raw < Protocol.PAGES_FIXED_BYTES || raw > maxBody) {
            throw ProtocolException.malformed("PAGES_LZ4 raw_length " + raw + " outside " + Protocol.PAGES_FIXED_BYTES + ".." + maxBody);
        }
        if (scratch == null) scratch = alloc.directBuffer(maxBody, maxBody);
        scratch.clear();
        int sum = body.getInt(base + 4);
        int got;
        try {
            got = LZ4.decompress(body.nioBuffer(base + fixed, n - fixed), 0, n - fixed, scratch.nioBuffer(0, (int) raw), 0, (int) raw);
        } catch (LZ4Exception e) {
            throw ProtocolException.malformed("PAGES_LZ4: corrupt LZ4 block of " + (n - fixed) + " bytes (" + e.getMessage() + ")");
        }
        if (got != raw) {
            throw ProtocolException.malformed("PAGES_LZ4: the LZ4 block decodes to " + got + " bytes, raw_length says " + raw);
        }
        int actual = XXH32.hash(scratch.nioBuffer(0, got), 0, got, Protocol.PAGES_LZ4_SEED);
        if (actual != sum) {
            throw ProtocolException.malformed(String.format("PAGES_LZ4: the decoded body's XXH32 is 0x%08x, the frame says 0x%08x:"
                    + " the LZ4 block is corrupt", actual, sum));
        }
        scratch.writerIndex(got);
        return scratch;
    }

    @Override
    public void close() {
        if (scratch != null) {
            scratch.release();
            scratch = null;
        }
    }
}
