package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes PAGES frames (0x10) straight into a Netty buffer: a flyweight that holds only the position of the frame it
 * is building, reused for every frame and allocating nothing, per page or per frame. One per sender thread; not
 * thread-safe.
 *
 * <pre>{@code
 * writer.begin(out, round);
 * while (more && writer.fits(1, n)) writer.addDataRun(pfn, n, mapping.segment());   // or addZeroRun
 * int bytes = writer.finish();
 * }</pre>
 *
 * Runs are checked as the reader will check them, so a bug shows at the sender: 1..256 pages, the frame's limits
 * ({@link #fits}), and no run crossing a {@link Protocol#STRIPE_PAGES} stripe. Those are programming errors
 * ({@link IllegalArgumentException}, {@link IllegalStateException}), not protocol errors. The writer does not know
 * the guest size: the destination checks ranges. Data is copied with one {@code MemorySegment.copy} per run:
 * into the buffer's native memory when it has a memory address, into its array when it has one, else through
 * {@code writeBytes(ByteBuffer)}.
 */
public final class PagesFrameWriter {
    private final int pageSize;
    private ByteBuf out;
    private int start;
    private int runs;
    private int pages;

    public PagesFrameWriter(int pageSize) {
        if (pageSize <= 0) throw new IllegalArgumentException("page size " + pageSize);
        this.pageSize = pageSize;
    }

    /** Starts a PAGES frame of {@code round} at {@code out}'s writer index. */
    public void begin(ByteBuf out, int round) {
        if (this.out != null) throw new IllegalStateException("begin() before finish() of the previous frame");
        if (round < 0) throw new IllegalArgumentException("round " + round);
        this.out = out;
        this.start = out.writerIndex();
        this.runs = 0;
        this.pages = 0;
        out.ensureWritable(Protocol.HEADER_BYTES + Protocol.PAGES_FIXED_BYTES);
        out.writeInt(0);                               // length, patched by finish()
        out.writeByte(FrameType.PAGES.code());
        out.writeByte(0);                              // flags
        out.writeShort(0);                             // reserved
        out.writeInt(round);
        out.writeShort(0);                             // run_count, patched by finish()
        out.writeShort(0);                             // reserved
    }

    /**
     * Whether {@code runs} more runs holding {@code pages} more pages (zero or data: both count towards
     * {@link Protocol#MAX_PAGES_PER_FRAME}) would stay within the frame's limits.
     */
    public boolean fits(int runs, int pages) {
        return this.runs + runs <= Protocol.MAX_RUNS_PER_FRAME && this.pages + pages <= Protocol.MAX_PAGES_PER_FRAME;
    }

    /** Adds a run of {@code pages} zero pages from {@code firstPfn}: 16 bytes, no data. */
    public void addZeroRun(long firstPfn, int pages) {
        addRunHeader(firstPfn, pages, Protocol.RUN_FLAG_ZERO, 0);
    }

    /** Adds a run of {@code pages} pages from {@code firstPfn}, copying the first {@code pages * pageSize} bytes of {@code src}. */
    public void addDataRun(long firstPfn, int pages, MemorySegment src) {
        long len = (long) pages * pageSize;
        if (src.byteSize() < len) {
            throw new IllegalArgumentException(pages + " pages need " + len + " bytes, the source has " + src.byteSize());
        }
        addRunHeader(firstPfn, pages, 0, (int) len);
        int n = (int) len;
        int at = out.writerIndex();
        if (out.hasMemoryAddress()) {
            MemorySegment.copy(src, 0, NativeMemory.ALL, out.memoryAddress() + at, n);
            out.writerIndex(at + n);
        } else if (out.hasArray()) {
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, 0, out.array(), out.arrayOffset() + at, n);
            out.writerIndex(at + n);
        } else {
            out.writeBytes(src.asSlice(0, n).asByteBuffer());
        }
    }

    private void addRunHeader(long firstPfn, int pages, int flags, int dataBytes) {
        if (out == null) throw new IllegalStateException("no frame begun");
        if (pages < 1 || pages > Protocol.MAX_PAGES_PER_FRAME) throw new IllegalArgumentException("run of " + pages + " pages");
        if (!fits(1, pages)) {
            throw new IllegalStateException("frame full: " + runs + " runs, " + this.pages + " pages; " + pages + " more do not fit");
        }
        if (firstPfn < 0) throw new IllegalArgumentException("pfn " + firstPfn);
        if (firstPfn + pages > Protocol.stripeEnd(firstPfn)) {
            throw new IllegalArgumentException("run [" + firstPfn + ", " + (firstPfn + pages) + ") crosses the stripe boundary at "
                    + Protocol.stripeEnd(firstPfn));
        }
        out.ensureWritable(Protocol.RUN_HEADER_BYTES + dataBytes);
        out.writeLong(firstPfn);
        out.writeInt(pages);
        out.writeInt(flags);
        runs++;
        this.pages += pages;
    }

    /** Pages (zero and data) in the frame so far. */
    public int pages() {
        return pages;
    }

    /** Runs in the frame so far. */
    public int runs() {
        return runs;
    }

    /** Patches the length and run_count; returns the frame's size in bytes (4 + length). The writer is then free. */
    public int finish() {
        if (out == null) throw new IllegalStateException("no frame begun");
        if (runs == 0) throw new IllegalStateException("a PAGES frame needs at least one run");
        int frameBytes = out.writerIndex() - start;
        out.setInt(start, frameBytes - 4);
        out.setShort(start + Protocol.HEADER_BYTES + 4, runs);
        out = null;
        return frameBytes;
    }
}
