package io.xmig.dataplane.hypervisor;

import io.xmig.bindings.XcDomainInfo;
import io.xmig.bindings.XcHypercallBuffer;
import io.xmig.bindings.XcShadowOpStats;
import io.xmig.bindings.XenCtrl;
import io.xmig.bindings.XenForeignMemory;
import io.xmig.bindings.XenLibraries;
import io.xmig.bindings.XmigSim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL;
import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_OP_CLEAN;
import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY;
import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_OP_OFF;
import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_OP_PEEK;

/**
 * {@link Hypervisor} over libxenctrl + libxenforeignmemory: the real Xen 4.17 libraries on a dom0, or libxmigsim.so,
 * which exports the same functions, anywhere else ({@link XenLibraries} picks by {@code -Dxmig.hypervisor}).
 *
 * <p>Owns one {@code xc_interface} and one {@code xenforeignmemory} handle, opened in {@link #open} and closed by
 * {@link #close()}. libxenctrl handles opened without XC_OPENFLAG_NON_REENTRANT may be used from any thread, so this
 * class is thread-safe. Page installs go through the simulator's UFFDIO_COPY path when it is the simulator, and
 * through a writable foreign mapping on Xen (whose restore path must first populate the frames).
 */
public final class XenHypervisor implements Hypervisor {
    private static final int GETINFO_BATCH = 64;

    private final XenLibraries libraries;
    private final XenCtrl xc;
    private final XenForeignMemory fm;
    private final MemorySegment xch;
    private final MemorySegment fmem;
    private final GuestSimulator simulator;
    private final io.xmig.bindings.XenCtrlPlatform platform;
    private volatile boolean closed;

    private XenHypervisor(XenLibraries libraries) {
        this.libraries = libraries;
        this.xc = libraries.xenCtrl();
        this.fm = libraries.xenForeignMemory();
        this.xch = xc.openInterface();
        MemorySegment f;
        try {
            f = fm.openHandle();
        } catch (RuntimeException e) {
            xc.xc_interface_close(xch);
            throw e;
        }
        this.fmem = f;
        this.simulator = libraries.hypervisor() == XenLibraries.Hypervisor.SIM
                ? new GuestSimulator(libraries.xmigSim(), xch) : null;
        this.platform = simulator != null ? null : io.xmig.bindings.XenCtrlPlatform.bind(libraries.xenctrl(),
                io.xmig.bindings.XenCtrlPlatform.libxenguest()).orElse(null);
    }

    /** Opens the hypervisor {@code -Dxmig.hypervisor} names (default: the simulator). */
    public static XenHypervisor open() {
        return new XenHypervisor(XenLibraries.load());
    }

    public static XenHypervisor open(XenLibraries libraries) {
        return new XenHypervisor(libraries);
    }

    public XenLibraries libraries() {
        return libraries;
    }

    @Override
    public List<DomainInfo> domains() {
        List<DomainInfo> out = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment infos = XcDomainInfo.allocateArray(GETINFO_BATCH, arena);
            int next = 0;
            while (true) {
                int n = xc.xc_domain_getinfolist(xch, next, GETINFO_BATCH, infos);
                if (n < 0) throw failure("xc_domain_getinfolist", -1, xc.errno());
                for (int i = 0; i < n; i++) out.add(info(XcDomainInfo.asSlice(infos, i)));
                if (n < GETINFO_BATCH) return out;
                next = out.getLast().domid() + 1;
            }
        }
    }

    @Override
    public DomainInfo domain(int domid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = XcDomainInfo.allocate(arena);
            int n = xc.xc_domain_getinfolist(xch, domid, 1, info);
            if (n < 0) throw failure("xc_domain_getinfolist", domid, xc.errno());
            if (n == 0 || XcDomainInfo.domain(info) != domid) throw failure("xc_domain_getinfolist", domid, io.xmig.bindings.Errno.ESRCH);
            return info(info);
        }
    }

    private static DomainInfo info(MemorySegment s) {
        return new DomainInfo(XcDomainInfo.domain(s), XcDomainInfo.flags(s), XcDomainInfo.tot_pages(s),
                XcDomainInfo.max_pages(s), XcDomainInfo.cpu_time(s), XcDomainInfo.nr_online_vcpus(s));
    }

    @Override
    public long guestPages(int domid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment gpfns = arena.allocate(ValueLayout.JAVA_LONG);
            if (xc.xc_domain_nr_gpfns(xch, domid, gpfns) < 0) throw failure("xc_domain_nr_gpfns", domid, xc.errno());
            return gpfns.get(ValueLayout.JAVA_LONG, 0);
        }
    }

    @Override
    public void pause(int domid) {
        if (xc.xc_domain_pause(xch, domid) < 0) throw failure("xc_domain_pause", domid, xc.errno());
    }

    @Override
    public void unpause(int domid) {
        if (xc.xc_domain_unpause(xch, domid) < 0) throw failure("xc_domain_unpause", domid, xc.errno());
    }

    @Override
    public DirtyLog dirtyLog(int domid) {
        return new XenDirtyLog(domid);
    }

    @Override
    public GuestMemory memory(int domid) {
        return new XenGuestMemory(domid, guestPages(domid));
    }

    @Override
    public DirtyBitmap newDirtyBitmap(long pages) {
        int nrPages = (int) ((PageBitmap.bytesFor(pages) + GuestMemory.PAGE_SIZE - 1) >>> GuestMemory.PAGE_SHIFT);
        Arena arena = Arena.ofShared();
        MemorySegment descriptor = XcHypercallBuffer.declare(arena);
        MemorySegment buf = xc.xc__hypercall_buffer_alloc_pages(xch, descriptor, nrPages);
        if (buf.equals(MemorySegment.NULL)) {
            int errno = xc.errno();
            arena.close();
            throw failure("xc__hypercall_buffer_alloc_pages", -1, errno);
        }
        MemorySegment bits = buf.reinterpret((long) nrPages << GuestMemory.PAGE_SHIFT);
        return new DirtyBitmap(bits, pages, descriptor, () -> {
            xc.xc__hypercall_buffer_free_pages(xch, descriptor, nrPages);
            arena.close();
        });
    }

    @Override
    public byte[] saveVcpuContext(int domid) {
        int size = xc.xc_domain_hvm_getcontext(xch, domid, MemorySegment.NULL, 0);
        if (size < 0) throw failure("xc_domain_hvm_getcontext", domid, xc.errno());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(size);
            int n = xc.xc_domain_hvm_getcontext(xch, domid, buf, size);
            if (n < 0) throw failure("xc_domain_hvm_getcontext", domid, xc.errno());
            return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Override
    public void restoreVcpuContext(int domid, byte[] context) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, context);
            if (xc.xc_domain_hvm_setcontext(xch, domid, buf, context.length) < 0) {
                throw failure("xc_domain_hvm_setcontext", domid, xc.errno());
            }
        }
    }

    @Override
    public Optional<HvmPlatformState> hvmPlatformState(int domid) {
        if (platform == null) return Optional.empty();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = arena.allocate(ValueLayout.JAVA_LONG);
            java.util.Map<Integer, Long> params = new java.util.LinkedHashMap<>();
            for (int param : io.xmig.bindings.XenCtrlPlatform.MIGRATED_HVM_PARAMS) {
                if (platform.xc_hvm_param_get(xch, domid, param, value) < 0) {
                    throw failure("xc_hvm_param_get(" + param + ")", domid, platform.errno());
                }
                long v = value.get(ValueLayout.JAVA_LONG, 0);
                if (v != 0) params.put(param, v);
            }
            MemorySegment mode = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment nsec = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment khz = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment incarnation = arena.allocate(ValueLayout.JAVA_INT);
            if (platform.xc_domain_get_tsc_info(xch, domid, mode, nsec, khz, incarnation) < 0) {
                throw failure("xc_domain_get_tsc_info", domid, platform.errno());
            }
            return Optional.of(new HvmPlatformState(java.util.Collections.unmodifiableMap(params),
                    mode.get(ValueLayout.JAVA_INT, 0), nsec.get(ValueLayout.JAVA_LONG, 0),
                    khz.get(ValueLayout.JAVA_INT, 0), incarnation.get(ValueLayout.JAVA_INT, 0)));
        }
    }

    @Override
    public void resumeSuspended(int domid) {
        if (platform == null) {
            unpause(domid);
            return;
        }
        if (platform.xc_domain_resume(xch, domid, 1) < 0) throw failure("xc_domain_resume", domid, platform.errno());
    }

    @Override
    public Optional<GuestSimulator> simulator() {
        return Optional.ofNullable(simulator);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        fm.xenforeignmemory_close(fmem);
        xc.xc_interface_close(xch);
    }

    private HypervisorException failure(String call, int domid, int errno) {
        return new HypervisorException(call, domid, errno, simulator == null ? null : simulator.lastError());
    }

    /** Log-dirty of one domain; see {@link DirtyLog} for its threading rule. */
    private final class XenDirtyLog implements DirtyLog {
        private final int domid;
        private final MemorySegment stats = XcShadowOpStats.allocate(Arena.ofAuto());

        XenDirtyLog(int domid) {
            this.domid = domid;
        }

        @Override
        public void enable() {
            if (xc.xc_shadow_control(xch, domid, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, MemorySegment.NULL, 0) < 0) {
                throw failure("xc_shadow_control(ENABLE_LOGDIRTY)", domid, xc.errno());
            }
        }

        @Override
        public void disable() {
            if (xc.xc_shadow_control(xch, domid, XEN_DOMCTL_SHADOW_OP_OFF, MemorySegment.NULL, 0) < 0) {
                throw failure("xc_shadow_control(OFF)", domid, xc.errno());
            }
        }

        @Override
        public LogDirtyStats clean(DirtyBitmap into, boolean finalPass) {
            return op(XEN_DOMCTL_SHADOW_OP_CLEAN, into, finalPass ? XEN_DOMCTL_SHADOW_LOGDIRTY_FINAL : 0, "CLEAN");
        }

        @Override
        public LogDirtyStats peek(DirtyBitmap into) {
            return op(XEN_DOMCTL_SHADOW_OP_PEEK, into, 0, "PEEK");
        }

        private LogDirtyStats op(int sop, DirtyBitmap into, int mode, String name) {
            long pages = xc.xc_logdirty_control(xch, domid, sop, into.descriptor(), into.pages(), mode, stats);
            if (pages < 0) throw failure("xc_logdirty_control(" + name + ")", domid, xc.errno());
            return new LogDirtyStats(pages, Integer.toUnsignedLong(XcShadowOpStats.dirty_count(stats)),
                    Integer.toUnsignedLong(XcShadowOpStats.fault_count(stats)));
        }
    }

    /** Memory of one domain. Thread-safe: the pfn scratch array of {@link #mapRun} is per thread. */
    private final class XenGuestMemory implements GuestMemory {
        private static final int MAX_RUN = 4096;
        private final int domid;
        private final long pages;
        private final ThreadLocal<MemorySegment> runPfns =
                ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(ValueLayout.JAVA_LONG, MAX_RUN));

        XenGuestMemory(int domid, long pages) {
            this.domid = domid;
            this.pages = pages;
        }

        @Override
        public int domid() {
            return domid;
        }

        @Override
        public long pages() {
            return pages;
        }

        @Override
        public PageMapping mapRun(long firstPfn, int count, boolean writable) {
            checkRun(firstPfn, count);
            if (count > MAX_RUN) throw new IllegalArgumentException("runs are mapped " + MAX_RUN + " pages at most: " + count);
            MemorySegment pfns = runPfns.get();
            for (int i = 0; i < count; i++) pfns.setAtIndex(ValueLayout.JAVA_LONG, i, firstPfn + i);
            return map(pfns, count, writable, MemorySegment.NULL);
        }

        @Override
        public PageMapping map(MemorySegment pfns, int count, boolean writable, MemorySegment errors) {
            if (count <= 0 || pfns.byteSize() < (long) count * Long.BYTES) {
                throw new IllegalArgumentException("bad page list: " + count + " pages in " + pfns.byteSize() + " bytes");
            }
            int prot = XenForeignMemory.PROT_READ | (writable ? XenForeignMemory.PROT_WRITE : 0);
            MemorySegment addr = fm.xenforeignmemory_map(fmem, domid, prot, count, pfns, errors == null ? MemorySegment.NULL : errors);
            if (addr.equals(MemorySegment.NULL)) throw failure("xenforeignmemory_map", domid, fm.errno());
            return new PageMapping(addr.reinterpret((long) count << PAGE_SHIFT), count, (a, n) -> {
                if (fm.xenforeignmemory_unmap(fmem, a, n) < 0) throw failure("xenforeignmemory_unmap", domid, fm.errno());
            });
        }

        @Override
        public long install(long firstPfn, int count, MemorySegment src, InstallMode mode) {
            checkRun(firstPfn, count);
            if (src.byteSize() < (long) count << PAGE_SHIFT) {
                throw new IllegalArgumentException(count + " pages need " + ((long) count << PAGE_SHIFT) + " bytes, got " + src.byteSize());
            }
            if (simulator != null) return simulator.install(domid, firstPfn, count, src, mode);
            try (PageMapping m = mapRun(firstPfn, count, true)) {     // Xen: write through a foreign mapping
                MemorySegment.copy(src, 0, m.segment(), 0, (long) count << PAGE_SHIFT);
            }
            return count;
        }

        @Override
        public long installZero(long firstPfn, int count, InstallMode mode) {
            checkRun(firstPfn, count);
            if (simulator != null) return simulator.installZero(domid, firstPfn, count, mode);
            try (PageMapping m = mapRun(firstPfn, count, true)) {
                m.segment().fill((byte) 0);
            }
            return count;
        }

        private void checkRun(long firstPfn, int count) {
            if (count <= 0 || firstPfn < 0 || firstPfn + count > pages) {
                throw new IllegalArgumentException("pages [" + firstPfn + ", " + (firstPfn + count) + ") outside domain "
                        + domid + " of " + pages + " pages");
            }
        }
    }
}
