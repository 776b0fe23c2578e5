package io.xmig.dataplane.heat;

import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.pagepath.PagePipeline;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Decides which pages each pre-copy round sends, under one {@link ResendRule}, and keeps the page heat and the hot
 * cluster (so the hot-set size reaches the policies and the report):
 * <ul>
 *   <li>{@link #sendRound}: round 0 offers every page, later rounds what is pending; the senders then leave out, as
 *       they reach each page, the pages this rule holds back at that moment:
 *       <ul>
 *         <li>{@link ResendRule#XEN_SKIP}: pages the log shows dirtied again since the round began (Xen's rule), from
 *             a PEEK refreshed every {@link #PEEK_EVERY_PAGES} pages as Xen's old {@code xc_domain_save} refreshed
 *             {@code to_skip} every batch; the next CLEAN reports them, so the next round sends them;</li>
 *         <li>{@link ResendRule#CLUSTERING}: the same, and the pages of the hot cluster, which are <em>deferred</em>:
 *             recorded, and sent by the stop-and-copy or the post-copy push unless a later round finds them cold.</li>
 *       </ul></li>
 *   <li>{@link #afterClean}: the heat observes the CLEAN, the clusters are updated, and the pages the round deferred
 *       (and, under CLUSTERING, the pages its sampling CLEANs reported) are put back into the session's dirty bitmap, so
 *       what the session holds as pending (and hands to the stop-and-copy or the post-copy switch as stale) always
 *       includes them: deferral never loses a page;</li>
 *   <li>{@link #push}: the post-copy push sends the hot pages first (under CLUSTERING), the ones the guest is about
 *       to touch.</li>
 * </ul>
 * Under CLUSTERING the heat is sampled <em>within</em> a round: every {@link #SAMPLE_NANOS} a CLEAN into a scratch
 * buffer is one more heat epoch, and its pages are kept for {@link #afterClean}. The union of those CLEANs and the
 * session's is exactly what one CLEAN at the round's end would have reported (a write is reported by the CLEAN it
 * races with or by the next one), so nothing is lost; but the hot set is known during round 0 already, and epochs
 * have a steady length however long rounds are. Before round 0, {@link #warmUp} observes a few epochs first, so round 0
 * (which sends every page, the hot ones included, unless they are known) holds the hot set back too. The price: each sampling CLEAN re-protects the pages written since
 * the previous one (one more write fault each for the guest).
 *
 * <p>A later round defers nothing when its cold part would be smaller than {@link #MIN_COLD_PAGES} or than a quarter
 * of its hot part: what is left then is mostly the hot set, deferring it again saves nothing, and a nearly empty
 * round would give the policy no bandwidth to measure.
 *
 * <p>Owned by the session's thread, apart from the {@link LogWatcher} thread it runs during a round under XEN_SKIP or
 * CLUSTERING (the only user of the dirty log, the heat and the clusters while it runs; joined before
 * {@link #sendRound} returns). Owns its off-heap memory and its log buffer ({@link #close()}).
 */
public final class RoundPlanner implements AutoCloseable {
    /** Xen's MAX_BATCH_SIZE in xc_domain_save: to_skip was re-read before each batch of this many pages. */
    public static final int PEEK_EVERY_PAGES = 1024;
    /** A later round defers only if it still sends at least this many cold pages (4 MiB). */
    public static final long MIN_COLD_PAGES = 1024;
    /** Heat epoch length within a round under CLUSTERING. */
    public static final long SAMPLE_NANOS = 100_000_000L;
    /** Epochs observed under CLUSTERING before round 0 ({@link #warmUp}), so round 0 already knows the hot set. */
    public static final int WARMUP_EPOCHS = 3;

    private final ResendRule rule;
    private final DirtyLog log;
    private final Arena arena = Arena.ofShared();
    private final PageHeat heat;
    private final HeatClusters clusters;
    private final PageBitmap deferred, hotFirst, skip, sampled;
    private final DirtyBitmap buffer;
    private boolean anySampled;
    private long lastDeferred, totalDeferred, lastSkipped, totalSkipped, clusterNanos;

    /**
     * {@code logBuffer}: a log-dirty buffer for the PEEKs and sampling CLEANs (may be null under NONE); the planner
     * closes it.
     */
    public RoundPlanner(ResendRule rule, DirtyLog log, DirtyBitmap logBuffer, long pages) {
        if (rule != ResendRule.NONE && logBuffer == null) throw new IllegalArgumentException(rule.spec() + " needs a log-dirty buffer");
        this.rule = rule;
        this.log = log;
        this.buffer = logBuffer;
        this.heat = new PageHeat(arena, pages);
        this.clusters = new HeatClusters(arena, pages);
        this.deferred = PageBitmap.allocate(arena, pages);
        this.hotFirst = PageBitmap.allocate(arena, pages);
        this.skip = PageBitmap.allocate(arena, pages);
        this.sampled = PageBitmap.allocate(arena, pages);
    }

    public ResendRule rule() {
        return rule;
    }

    /**
     * Under CLUSTERING, called once with log-dirty on and before round 0: observes {@link #WARMUP_EPOCHS} epochs of
     * {@link #SAMPLE_NANOS} (sampling CLEANs; nothing is sent meanwhile), so that round 0, which sends every page, can
     * already hold back the hot ones instead of sending them once live and again at the end. The pages these CLEANs
     * report need not be sent again: round 0 sends every page after them. Does nothing under the other rules.
     * Returns the nanoseconds it took.
     */
    public long warmUp() throws InterruptedException {
        if (rule != ResendRule.CLUSTERING) return 0;
        long t0 = System.nanoTime();
        for (int e = 0; e < WARMUP_EPOCHS; e++) {
            Thread.sleep(SAMPLE_NANOS / 1_000_000);
            log.clean(buffer, false);
            observe(buffer);
        }
        return System.nanoTime() - t0;
    }

    /**
     * Sends round {@code round}: every page for round 0, else the pages of {@code pending}, minus what this rule holds
     * back as the senders reach each page; waits for the senders to finish it and returns the pipeline's totals.
     */
    public PagePipeline.Totals sendRound(PagePipeline pipeline, PageBitmap pending, int round, Duration timeout)
            throws InterruptedException {
        LogWatcher watcher = null;
        long skippedBefore = pipeline.pagesSkipped(), deferredBefore = pipeline.pagesDeferred();
        if (rule != ResendRule.NONE) {
            skip.clearAll();
            deferred.clearAll();
            watcher = new LogWatcher(pipeline);
            watcher.peekNow();                                     // the first batch's to_skip
            boolean defer = rule == ResendRule.CLUSTERING && (round == 0 || worthDeferring(pending));
            pipeline.skipPagesIn(skip, defer ? clusters.hot() : null, deferred);
            watcher.thread.start();
        }
        try {
            if (round == 0) pipeline.sendAll(0);
            else pipeline.sendDirty(pending, round, false);
            return pipeline.awaitRound(round, timeout);
        } finally {
            if (watcher != null) {
                watcher.stop();
                pipeline.skipPagesIn(null, null, null);
            }
            lastSkipped = pipeline.pagesSkipped() - skippedBefore;
            lastDeferred = pipeline.pagesDeferred() - deferredBefore;
            totalSkipped += lastSkipped;
            totalDeferred += lastDeferred;
        }
    }

    /**
     * Whether a later round should hold the hot pages back: not when its cold part (pending pages not hot now) is
     * under {@link #MIN_COLD_PAGES} or a quarter of its hot part.
     */
    private boolean worthDeferring(PageBitmap pending) {
        PageBitmap hot = clusters.hot();
        long cold = 0, held = 0;
        for (long w = 0, n = pending.words(); w < n; w++) {
            long p = pending.word(w), h = hot.word(w);
            cold += Long.bitCount(p & ~h);
            held += Long.bitCount(p & h);
        }
        return held > 0 && cold >= MIN_COLD_PAGES && cold >= held / 4;
    }

    /**
     * After the CLEAN that followed a round ({@code dirty} holds what it reported): the heat observes it, the clusters
     * are recomputed, and the pages the round deferred or its sampling CLEANs reported are added to {@code dirty}.
     * Returns the pages now pending.
     */
    public long afterClean(PageBitmap dirty) {
        observe(dirty);
        if (anySampled) {
            dirty.or(sampled);
            sampled.clearAll();
            anySampled = false;
        }
        if (lastDeferred > 0) dirty.or(deferred);        // what the senders held back as hot
        return dirty.cardinality();
    }

    private void observe(PageBitmap dirtied) {
        long t0 = System.nanoTime();
        heat.observe(dirtied);
        clusters.update(heat, dirtied);
        clusterNanos += System.nanoTime() - t0;
    }

    /** The post-copy push of {@code stale}: the hot pages first under CLUSTERING, else in pfn order. */
    public long push(PagePipeline pipeline, PageBitmap stale, int round) {
        if (rule != ResendRule.CLUSTERING || clusters.hotPages() == 0) return pipeline.push(stale, round);
        PageBitmap hot = clusters.hot();
        hotFirst.clearAll();
        for (long w = 0, n = stale.words(); w < n; w++) {
            long both = stale.word(w) & hot.word(w);
            if (both != 0) hotFirst.orWord(w, both);
        }
        return pipeline.push(stale, hotFirst, round);
    }

    /** Pages in the hot cluster after the latest CLEAN. */
    public long hotSetPages() {
        return clusters.hotPages();
    }

    /** Pages the latest round deferred as hot. */
    public long lastDeferred() {
        return lastDeferred;
    }

    /** Pages the latest round skipped under Xen's rule. */
    public long lastSkipped() {
        return lastSkipped;
    }

    /** Deferrals summed over rounds (a page deferred in two rounds counts twice). */
    public long totalDeferred() {
        return totalDeferred;
    }

    public long totalSkipped() {
        return totalSkipped;
    }

    /** Time spent updating the heat and the clusters, over all CLEANs (sampling ones included). */
    public long clusterNanos() {
        return clusterNanos;
    }

    public PageHeat heat() {
        return heat;
    }

    public HeatClusters clusters() {
        return clusters;
    }

    @Override
    public void close() {
        if (buffer != null) buffer.close();
        arena.close();
    }

    /**
     * The dirty log's user while a round runs. Each time the senders have gone through {@link #PEEK_EVERY_PAGES} more
     * pages (sent, skipped or deferred), PEEK the log and add what it shows to the skip set; bits are only ever added,
     * so a sender reading a word mid-update at worst sends a page it could have skipped. Under CLUSTERING, also every
     * {@link #SAMPLE_NANOS} a sampling CLEAN: one heat epoch, its pages kept for {@link #afterClean} and added to the
     * skip set (they were dirtied during this round).
     */
    private final class LogWatcher implements Runnable {
        private final PagePipeline pipeline;
        private final Thread thread;
        private volatile boolean running = true;
        private volatile RuntimeException failure;

        LogWatcher(PagePipeline pipeline) {
            this.pipeline = pipeline;
            this.thread = new Thread(this, "xmig-log-watcher");
            thread.setDaemon(true);
        }

        void peekNow() {
            log.peek(buffer);
            skip.or(buffer);
        }

        private void sampleNow() {
            log.clean(buffer, false);
            sampled.or(buffer);
            skip.or(buffer);
            anySampled = true;
            observe(buffer);
        }

        @Override
        public void run() {
            try {
                boolean sampling = rule == ResendRule.CLUSTERING;
                long nextSample = System.nanoTime() + SAMPLE_NANOS;
                long at = progress();
                while (running) {
                    long now = progress();
                    if (sampling && System.nanoTime() >= nextSample) {
                        sampleNow();
                        nextSample += SAMPLE_NANOS;
                        at = now;
                    } else if (now - at >= PEEK_EVERY_PAGES) {
                        peekNow();
                        at = now;
                    } else {
                        LockSupport.parkNanos(200_000);
                    }
                }
            } catch (RuntimeException e) {
                failure = e;
            }
        }

        private long progress() {
            return pipeline.totals().pages() + pipeline.pagesSkipped() + pipeline.pagesDeferred();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
            if (failure != null) throw failure;
        }
    }
}
