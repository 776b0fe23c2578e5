package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBuf;

import java.lang.foreign.MemorySegment;

/**
 * Reads PAGES frames (0x10): a flyweight over one frame body at a time, reused for every frame of a connection and
 * allocating nothing on success except the {@link #data()} view it hands out (one per data run, never per page).
 * One per receiving connection, touched only by that connection's event-loop thread; not thread-safe.
 *
 * <p>{@link #wrap} checks the whole frame before the caller sees a single run: run_count 1..64, every run's
 * page_count 1..256 and flags (only {@link Protocol#RUN_FLAG_ZERO}), at most 256 pages in all, every run within the
 * guest without overflow ({@code first_pfn + page_count <= guest_pages}, unsigned), no run crossing a
 * {@link Protocol#STRIPE_PAGES} stripe, every run on the bulk channel its stripe belongs to (when
 * {@link #expectChannel} was set), and data lengths adding up exactly to the frame. So a receiver installs pages
 * only from a frame that is valid as a whole:
 *
 * <pre>{@code
 * reader.wrap(frame.body());
 * while (reader.nextRun()) {
 *     if (reader.zero()) memory.installZero(reader.firstPfn(), reader.pages(), mode);
 *     else memory.install(reader.firstPfn(), reader.pages(), reader.data(), mode);
 * }
 * frame.release();   // data() views are dead from here on
 * }</pre>
 *
 * The reader does not own the body: the caller releases the {@link Frame} when done, and must not use the reader's
 * positions or data views after that.
 */
public final class PagesFrameReader {
    private final long guestPages;
    private final int pageSize;
    private int expectedChannel = -1;
    private int bulkChannels;

    private final long[] runPfn = new long[Protocol.MAX_RUNS_PER_FRAME];
    private final int[] runPages = new int[Protocol.MAX_RUNS_PER_FRAME];
    private final boolean[] runZero = new boolean[Protocol.MAX_RUNS_PER_FRAME];
    private final int[] runData = new int[Protocol.MAX_RUNS_PER_FRAME];

    private ByteBuf body;
    private int round;
    private int runCount;
    private int totalPages;
    private int cursor;

    public PagesFrameReader(long guestPages, int pageSize) {
        if (guestPages < 1 || guestPages > Protocol.MAX_GUEST_PAGES) throw new IllegalArgumentException("guest pages " + guestPages);
        if (pageSize <= 0) throw new IllegalArgumentException("page size " + pageSize);
        this.guestPages = guestPages;
        this.pageSize = pageSize;
    }

    /**
     * From now on, refuse ({@link ErrorCode#UNEXPECTED_FRAME}) any run whose stripe belongs to another bulk channel
     * than {@code channelIndex} of {@code bulkChannels}: per-connection TCP order is what guarantees that a newer
     * copy of a page is installed after an older one, so a page on the wrong connection could be overtaken.
     */
    public void expectChannel(int channelIndex, int bulkChannels) {
        if (bulkChannels < 1 || bulkChannels > Protocol.MAX_BULK_CHANNELS || channelIndex < 0 || channelIndex >= bulkChannels) {
            throw new IllegalArgumentException("channel " + channelIndex + " of " + bulkChannels);
        }
        this.expectedChannel = channelIndex;
        this.bulkChannels = bulkChannels;
    }

    /** Validates the PAGES body {@code body} (its readable bytes) and positions before its first run. */
    public void wrap(ByteBuf body) {
        this.body = null;
        this.runCount = 0;
        this.cursor = -1;
        int base = body.readerIndex();
        int end = body.writerIndex();
        int n = end - base;
        if (n < Protocol.PAGES_FIXED_BYTES) {
            throw ProtocolException.malformed("PAGES body is " + n + " bytes, shorter than its "
                    + Protocol.PAGES_FIXED_BYTES + "-byte fixed part");
        }
        int round = Wire.u32Int(body, base, FrameType.PAGES, "round");
        int rc = body.getUnsignedShort(base + 4);
        if (rc < 1 || rc > Protocol.MAX_RUNS_PER_FRAME) {
            throw ProtocolException.malformed("PAGES run_count " + rc + " outside 1.." + Protocol.MAX_RUNS_PER_FRAME);
        }
        Wire.zero(body.getUnsignedShort(base + 6), FrameType.PAGES, "reserved");
        int idx = base + Protocol.PAGES_FIXED_BYTES;
        int total = 0;
        for (int r = 0; r < rc; r++) {
            if (end - idx < Protocol.RUN_HEADER_BYTES) {
                throw ProtocolException.malformed("PAGES run " + r + ": its header at body offset " + (idx - base)
                        + " runs past the end of the " + n + "-byte body: the length field is too short for "
                        + rc + " runs");
            }
            long first = body.getLong(idx);
            long count = body.getUnsignedInt(idx + 8);
            int flags = body.getInt(idx + 12);
            if (count < 1 || count > Protocol.MAX_PAGES_PER_FRAME) {
                throw ProtocolException.malformed("PAGES run " + r + ": page_count " + count + " outside 1.."
                        + Protocol.MAX_PAGES_PER_FRAME);
            }
            if ((flags & ~Protocol.RUN_FLAG_ZERO) != 0) {
                throw ProtocolException.malformed(String.format("PAGES run %d: unknown run flags 0x%08x (v1 defines "
                        + "only 0x1, ZERO)", r, flags));
            }
            total += (int) count;
            if (total > Protocol.MAX_PAGES_PER_FRAME) {
                throw ProtocolException.malformed("PAGES run " + r + " brings the frame to " + total
                        + " pages, more than " + Protocol.MAX_PAGES_PER_FRAME);
            }
            if (Long.compareUnsigned(first, guestPages) >= 0 || count > guestPages - first) {
                Wire.pageRange(first, count, guestPages, "PAGES run " + r);   // throws with the message
            }
            long stripeEnd = Protocol.stripeEnd(first);
            if (first + count > stripeEnd) {
                throw ProtocolException.malformed("PAGES run " + r + ": pages [" + first + ", " + (first + count)
                        + ") cross the stripe boundary at pfn " + stripeEnd + " (stripes are "
                        + Protocol.STRIPE_PAGES + " pages)");
            }
            if (expectedChannel >= 0) {
                int channel = Protocol.bulkChannelOf(first, bulkChannels);
                if (channel != expectedChannel) {
                    throw new ProtocolException(ErrorCode.UNEXPECTED_FRAME, "PAGES run " + r + ": pfn " + first
                            + " belongs on bulk channel " + channel + " of " + bulkChannels
                            + ", it arrived on channel " + expectedChannel);
                }
            }
            idx += Protocol.RUN_HEADER_BYTES;
            boolean zero = (flags & Protocol.RUN_FLAG_ZERO) != 0;
            runPfn[r] = first;
            runPages[r] = (int) count;
            runZero[r] = zero;
            runData[r] = idx;
            if (!zero) {
                int len = (int) count * pageSize;
                if (end - idx < len) {
                    throw ProtocolException.malformed("PAGES run " + r + ": " + count + " pages need " + len
                            + " data bytes, only " + (end - idx) + " remain in the " + n + "-byte body: the length "
                            + "field is too short for its runs");
                }
                idx += len;
            }
        }
        if (idx != end) {
            throw ProtocolException.malformed("PAGES frame has " + (end - idx) + " bytes left over after its " + rc
                    + " runs: the length field disagrees with the runs");
        }
        this.body = body;
        this.round = round;
        this.runCount = rc;
        this.totalPages = total;
    }

    public int round() {
        return round;
    }

    public int runCount() {
        return runCount;
    }

    public int totalPages() {
        return totalPages;
    }

    /** Moves to the next run; false after the last. */
    public boolean nextRun() {
        if (cursor + 1 >= runCount) {
            cursor = runCount;
            return false;
        }
        cursor++;
        return true;
    }

    public long firstPfn() {
        return runPfn[run()];
    }

    public int pages() {
        return runPages[run()];
    }

    public boolean zero() {
        return runZero[run()];
    }

    /** The absolute index in the body of this run's first data byte (where it would be, for a zero run). */
    public int dataIndex() {
        return runData[run()];
    }

    /**
     * This run's data, {@code pages() * pageSize} bytes, as a view of the frame's memory (no copy): over the native
     * memory when the body has a memory address, else over {@code body.nioBuffer(...)}. Valid only until the frame
     * is released. A zero run has no data ({@link IllegalStateException}).
     */
    public MemorySegment data() {
        int r = run();
        if (runZero[r]) throw new IllegalStateException("run " + r + " is a zero run: it has no data");
        long len = (long) runPages[r] * pageSize;
        if (body.hasMemoryAddress()) return NativeMemory.ALL.asSlice(body.memoryAddress() + runData[r], len);
        return MemorySegment.ofBuffer(body.nioBuffer(runData[r], (int) len));
    }

    private int run() {
        if (cursor < 0 || cursor >= runCount) throw new IllegalStateException("no current run: call nextRun()");
        return cursor;
    }
}
