package io.xmig.dataplane.protocol;

/**
 * The constants of wire protocol v1, defined once: framing, limits and the bulk-channel striping rule. The byte
 * layouts they describe are in {@code docs/PROTOCOL.md}. Stateless; any thread.
 *
 * <p>A frame is {@code u32 length · u8 type · u8 flags · u16 reserved · body}, big-endian, where {@code length}
 * counts the bytes after the length field itself (4 + body). Every length limit in this class is a limit on that
 * field's value, so the whole frame on the wire is {@code 4 + length} bytes.
 */
public final class Protocol {
    /** "XMIG" in ASCII: the first field of every HELLO. */
    public static final int MAGIC = 0x584D4947;
    /** The only version v1 peers speak; any other is refused with {@link ErrorCode#VERSION_MISMATCH}. */
    public static final int VERSION = 1;
    /** Length field, type, flags, reserved: the bytes in front of every body. */
    public static final int HEADER_BYTES = 8;
    /** Type, flags and reserved: the part of the header that {@code length} counts. */
    public static final int LENGTH_COUNTED_HEADER_BYTES = 4;
    /** Largest {@code length} accepted before a connection's handshake completes (a HELLO is 44). */
    public static final int MAX_HANDSHAKE_FRAME = 256;
    /** The only page size v1 negotiates. */
    public static final int PAGE_SIZE = 4096;
    /** Largest guest v1 describes: 2^30 pages (4 TiB of 4 KiB pages). */
    public static final long MAX_GUEST_PAGES = 1L << 30;
    /** Most BULK connections a session may have. */
    public static final int MAX_BULK_CHANNELS = 64;
    /** Most runs in one PAGES frame. */
    public static final int MAX_RUNS_PER_FRAME = 64;
    /** Most pages, zero or not, in one PAGES frame (and so in one run). */
    public static final int MAX_PAGES_PER_FRAME = 256;
    /** {@code u64 first_pfn · u32 page_count · u32 run_flags}. */
    public static final int RUN_HEADER_BYTES = 16;
    /** {@code u32 round · u16 run_count · u16 reserved}: the PAGES body before its first run. */
    public static final int PAGES_FIXED_BYTES = 8;
    /** {@code u32 raw_length · u32 xxh32}: the PAGES_LZ4 body before its LZ4 block. */
    public static final int PAGES_LZ4_FIXED_BYTES = 8;
    /** Seed of the XXH32 of a PAGES_LZ4 frame's decompressed body. */
    public static final int PAGES_LZ4_SEED = 0x584D4947;
    /** Run flag: the run's pages are all zero and carry no data. The only run flag v1 defines. */
    public static final int RUN_FLAG_ZERO = 1;
    /** Largest vCPU context a VCPU_CONTEXT frame carries. */
    public static final int MAX_CONTEXT_BYTES = 1 << 20;
    /** Most pages one VERIFY_REQUEST may ask hashes for. */
    public static final int MAX_VERIFY_PAGES = 16384;
    /** Bitmap words in one POSTCOPY_DISCARD or WRITTEN_PAGES frame: 8,192 words, 524,288 pages, 64 KiB. */
    public static final int MAX_BITMAP_WORDS = 8192;
    /** Pages in one FAULT_REQUEST. */
    public static final int MAX_FAULT_PAGES = 64;
    /** Longest UTF-8 message an ABORT or ERROR frame carries. */
    public static final int MAX_MESSAGE_BYTES = 1024;
    /**
     * Pages per bulk stripe: 512 pfns (2 MiB of 4 KiB pages). A pfn always travels on bulk channel
     * {@code (pfn / STRIPE_PAGES) % bulk_channels}, and no run crosses a stripe boundary.
     */
    public static final int STRIPE_PAGES = 512;

    private Protocol() {}

    /**
     * The largest {@code length} a peer accepts once the handshake has negotiated {@code pageSize}: one PAGES frame
     * of {@link #MAX_RUNS_PER_FRAME} runs holding {@link #MAX_PAGES_PER_FRAME} data pages, or one VCPU_CONTEXT of
     * {@link #MAX_CONTEXT_BYTES}, whichever is larger. For 4 KiB pages: 4 + 8 + 64 × 16 + 256 × 4096 = 1,049,612.
     */
    public static int maxFrameLength(int pageSize) {
        if (pageSize <= 0) throw new IllegalArgumentException("page size " + pageSize);
        long pages = LENGTH_COUNTED_HEADER_BYTES + PAGES_FIXED_BYTES + (long) MAX_RUNS_PER_FRAME * RUN_HEADER_BYTES
                + (long) MAX_PAGES_PER_FRAME * pageSize;
        long context = LENGTH_COUNTED_HEADER_BYTES + 4L + MAX_CONTEXT_BYTES;
        return Math.toIntExact(Math.max(pages, context));
    }

    /** The bulk channel that carries {@code pfn} in a session of {@code bulkChannels} bulk connections. */
    public static int bulkChannelOf(long pfn, int bulkChannels) {
        return (int) ((pfn / STRIPE_PAGES) % bulkChannels);
    }

    /** The first pfn of the stripe after the one holding {@code pfn}: a run starting at {@code pfn} ends by then. */
    public static long stripeEnd(long pfn) {
        return (pfn / STRIPE_PAGES + 1) * STRIPE_PAGES;
    }
}
