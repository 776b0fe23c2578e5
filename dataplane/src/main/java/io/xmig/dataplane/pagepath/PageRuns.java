package io.xmig.dataplane.pagepath;

/**
 * The ring-buffer message formats between the {@link DirtyScanner} and the {@link SenderAgent}s.
 * <ul>
 *   <li>{@link #MSG_RUNS}: a batch of up to {@link #MAX_RUNS_PER_MESSAGE} runs, each {@link #RUN_BYTES} bytes:
 *       {@code u64 first_pfn, u32 pages, u32 reserved} (native order, Agrona's default).</li>
 *   <li>{@link #MSG_ROUND_END}: {@code u32 round, u32 final (0/1)}: every run of that round is ahead of it.</li>
 * </ul>
 * A run never crosses a channel stripe ({@link #STRIPE_PAGES} pages) and is at most {@link #MAX_RUN_PAGES} pages, so
 * it fits one PAGES frame and belongs to exactly one channel: all copies of a page travel on one TCP connection, in
 * order, and the destination installs them in the order they were sent.
 */
public final class PageRuns {
    public static final int MSG_RUNS = 1;
    public static final int MSG_ROUND_END = 2;
    public static final int RUN_BYTES = 16;
    public static final int MAX_RUNS_PER_MESSAGE = 64;
    public static final int ROUND_END_BYTES = 8;
    /** 2 MiB of 4 KiB pages: the unit pfns are striped over bulk channels by. */
    public static final int STRIPE_PAGES = 512;
    /** Pages in one run: one PAGES frame's worth. */
    public static final int MAX_RUN_PAGES = 256;

    private PageRuns() {}

    /** The bulk channel that carries page {@code pfn}. */
    public static int channelOf(long pfn, int channels) {
        return (int) ((pfn / STRIPE_PAGES) % channels);
    }
}
