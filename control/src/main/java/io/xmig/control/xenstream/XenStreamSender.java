package io.xmig.control.xenstream;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Decision;
import io.xmig.control.policy.RoundStats;
import io.xmig.control.policy.SwitchPolicy;
import io.xmig.dataplane.hypervisor.DirtyBitmap;
import io.xmig.dataplane.hypervisor.DirtyLog;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.HvmPlatformState;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.hypervisor.LogDirtyStats;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.PageMapping;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.xmig.control.xenstream.XenStreamFormat.*;

/**
 * xmig as the sender of a stock Xen 4.17 migration stream for an HVM/PVH guest: the xl header with the domain's
 * configuration, libxl v2 around a libxc v3 stream whose PAGE_DATA passes are xmig's own pre-copy rounds, decided by
 * an xmig {@link SwitchPolicy} after each CLEAN, then the final copy with the guest stopped by a {@link GuestSuspend},
 * X86_TSC_INFO, HVM_CONTEXT, HVM_PARAMS and the END records. Works on any {@link Hypervisor} (on the simulator the
 * platform records it lacks are left out). The record order is the stock sender's ({@code xg_sr_save.c},
 * {@code xg_sr_save_x86_hvm.c}); CPUID and MSR policies are not sent, which the stock receiver answers by giving the
 * guest the host's default policy (the same host, or a like one).
 *
 * <p>One instance sends one stream, on the caller's thread; the hot loop reuses its batch arrays and buffers.
 */
public final class XenStreamSender {
    private final Hypervisor hv;
    private final int domid;
    private final SwitchPolicy policy;
    private final String policySpec;
    private final GuestSuspend suspend;
    private final List<SendReport.Round> rounds = new ArrayList<>();
    private PageObserver observer;
    private Runnable atPausePoint;
    private final int[] pageIndex = new int[MAX_BATCH_PAGES];
    private long holes;

    public XenStreamSender(Hypervisor hv, int domid, SwitchPolicy policy, String policySpec, GuestSuspend suspend) {
        this.hv = hv;
        this.domid = domid;
        this.policy = policy;
        this.policySpec = policySpec;
        this.suspend = suspend;
    }

    /** Sees every page as it is sent (the probe's destination image). */
    public XenStreamSender observer(PageObserver observer) {
        this.observer = observer;
        return this;
    }

    /** Runs with the guest stopped, after the final copy and before the vCPU state is written. */
    public XenStreamSender atPausePoint(Runnable check) {
        this.atPausePoint = check;
        return this;
    }

    /**
     * Writes the whole stream to {@code out} and leaves the guest stopped (the caller hands over or resumes it).
     * On failure the guest is resumed at the source and the exception says why; the stream is then incomplete.
     */
    public SendReport send(OutputStream out, byte[] configJson) throws IOException {
        long t0 = System.nanoTime();
        long pages = hv.guestPages(domid);
        int pageSize = (int) GuestMemory.PAGE_SIZE;
        XenStreamWriter w = new XenStreamWriter(out);
        w.xlHeader(configJson);
        w.libxlHeader();
        w.libxlRecord(LIBXL_REC_LIBXC_CONTEXT, new byte[0]);
        w.libxcHeaders(DOMAIN_TYPE_X86_HVM, 4, 17);
        w.libxcRecord(REC_STATIC_DATA_END, new byte[0]);

        Decision start = policy.atStart(pages, pageSize);
        if (start.action() == Action.START_POSTCOPY || start.action() == Action.ABORT) {
            throw new IOException("policy " + policySpec + " answered " + start.action() + " before round 0 ("
                    + start.reason() + "): the stock receiver takes pre-copy or stop-and-copy only");
        }
        GuestMemory memory = hv.memory(domid);
        DirtyLog log = hv.dirtyLog(domid);
        boolean stopped = false;
        String finalDecision = start.reason();
        long tStop;
        long finalPages;
        // Pages to send are marked in memory of our own: the hypercall buffer the CLEAN fills is only read (a write
        // to it from Java crashed the JVM on Xen 4.17's dom0; the kernel may map it for the hypervisor only).
        try (DirtyBitmap dirty = hv.newDirtyBitmap(pages); PageBatches batch = new PageBatches(memory);
             Arena arena = Arena.ofConfined()) {
            PageBitmap toSend = PageBitmap.allocate(arena, pages);
            long[] entries = new long[MAX_BATCH_PAGES];
            log.enable();
            try {
                if (start.action() == Action.CONTINUE_PRECOPY) {
                    List<RoundStats> history = new ArrayList<>();
                    toSend.setAll();
                    for (int round = 0; ; round++) {
                        long r0 = System.nanoTime();
                        long holesBefore = holes;
                        long sent = sendMarked(w, toSend, batch, entries, round == 0);
                        long r1 = System.nanoTime();
                        LogDirtyStats stats = log.clean(dirty, false);
                        toSend.copyFrom(dirty);
                        long dirtied = toSend.cardinality();
                        long bytes = sent * (pageSize + 8L);
                        RoundStats rs = new RoundStats(round, sent, 0, bytes, dirtied, r1 - r0, r1 - t0,
                                RoundStats.bytesPerSecond(bytes, r1 - r0), dirtied * pageSize, pages, pageSize, 0,
                                Optional.empty());
                        history.add(rs);
                        Decision d = policy.decide(rs, List.copyOf(history));
                        rounds.add(new SendReport.Round(round, sent, holes - holesBefore, dirtied, (r1 - r0) / 1e6,
                                d.action() + ": " + d.reason()));
                        finalDecision = d.action() + ": " + d.reason();
                        if (d.action() == Action.CONTINUE_PRECOPY) continue;
                        if (d.action() == Action.STOP_AND_COPY) break;
                        throw new IOException("policy " + policySpec + " answered " + d.action() + " after round " + round
                                + " (" + d.reason() + "): " + (d.action() == Action.ABORT ? "migration aborted"
                                : "post-copy cannot go to the stock receiver"));
                    }
                }
                tStop = System.nanoTime();
                suspend.suspend(domid);
                stopped = true;
                if (start.action() == Action.CONTINUE_PRECOPY) {
                    // the last live CLEAN's pages (in toSend) were never sent: the final pass is those plus what the
                    // guest wrote until it stopped
                    log.clean(dirty, true);
                    toSend.or(dirty);
                } else {
                    toSend.setAll();
                }
                finalPages = sendMarked(w, toSend, batch, entries, start.action() != Action.CONTINUE_PRECOPY);
            } finally {
                log.disable();
            }
            if (atPausePoint != null) atPausePoint.run();
            Optional<HvmPlatformState> platform = hv.hvmPlatformState(domid);
            if (platform.isPresent()) w.libxcRecord(REC_X86_TSC_INFO, tscInfo(platform.get()));
            w.libxcRecord(REC_HVM_CONTEXT, hv.saveVcpuContext(domid));
            if (platform.isPresent()) w.libxcRecord(REC_HVM_PARAMS, hvmParams(platform.get().params()));
            w.libxcRecord(REC_END, new byte[0]);
            w.libxlRecord(LIBXL_REC_END, new byte[0]);
            w.flush();
        } catch (IOException | RuntimeException e) {
            if (stopped) suspend.resume(domid);
            throw e;
        }
        long t1 = System.nanoTime();
        return new SendReport(domid, policySpec, suspend.name(), pages, List.copyOf(rounds), finalPages, finalDecision,
                (t1 - t0) / 1e6, (t1 - tStop) / 1e6, w.bytes(), -1);
    }

    /**
     * Sends every page marked in {@code marked}, in pfn order, batch by batch. A page Xen cannot map is a hole: in a
     * full pass it goes out as XTAB (as the stock sender's first pass does), otherwise it is left out.
     */
    private long sendMarked(XenStreamWriter w, PageBitmap marked, PageBatches batch, long[] entries, boolean fullPass)
            throws IOException {
        long sent = 0;
        long pfn = marked.nextSetBit(0);
        while (pfn >= 0) {
            batch.clear();
            while (pfn >= 0 && batch.add(pfn)) pfn = marked.nextSetBit(pfn + 1);
            int n = batch.count();
            int out = 0;
            try (PageMapping m = batch.map()) {
                for (int i = 0; i < n; i++) {
                    long p = batch.pfn(i);
                    if (batch.error(i) != 0) {
                        holes++;
                        if (fullPass) entries[out++] = p | (TYPE_XTAB << PFN_TYPE_SHIFT);
                        continue;
                    }
                    pageIndex[out] = i;
                    entries[out++] = p;
                    sent++;
                    if (observer != null) observer.pageSent(p, m.page(i));
                }
                if (out > 0) w.pageData(entries, out, m.segment(), pageIndex);
            }
        }
        return sent;
    }

    private static byte[] tscInfo(HvmPlatformState p) {
        return ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(p.tscMode()).putInt(p.gtscKhz())
                .putLong(p.elapsedNsec()).putInt(p.incarnation()).putInt(0).array();
    }

    private static byte[] hvmParams(Map<Integer, Long> params) {
        ByteBuffer b = ByteBuffer.allocate(8 + 16 * params.size()).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(params.size()).putInt(0);
        params.forEach((index, value) -> b.putLong(index).putLong(value));
        return b.array();
    }
}
