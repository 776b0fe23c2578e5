package io.xmig.dataplane.hypervisor;

import io.xmig.bindings.Errno;
import io.xmig.bindings.XcHypercallBuffer;
import io.xmig.bindings.XcShadowOpStats;
import io.xmig.bindings.XenCtrl;
import io.xmig.bindings.XenForeignMemory;
import io.xmig.bindings.XenLibraries;
import io.xmig.bindings.XmigSim;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_OP_CLEAN;
import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY;
import static io.xmig.bindings.XenCtrl.XEN_DOMCTL_SHADOW_OP_PEEK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every bad call into the simulator returns -1 (or NULL) with Xen's errno and leaves the process, the JVM and the
 * domains working: raw calls through the bindings, as a careless caller would make them.
 */
@Timeout(60)
class BadCallsTest {
    private static final int NO_SUCH_DOMAIN = 31_999;
    private final XenLibraries libs = XenLibraries.load();
    private final XenCtrl xc = libs.xenCtrl();
    private final XenForeignMemory fm = libs.xenForeignMemory();
    private final XmigSim sim = libs.xmigSim();
    private final Arena arena = Arena.ofConfined();
    private MemorySegment xch, fmem, bitmapDesc, stats;
    private int domid, dest;
    private static final long PAGES = 1024;

    @BeforeEach
    void open() {
        xch = xc.openInterface();
        fmem = fm.openHandle();
        MemorySegment id = arena.allocate(ValueLayout.JAVA_INT);
        assertThat(sim.xmigsim_domain_create(xch, PAGES, arena.allocateFrom("sweep:rate=10k"), 1, 0, id)).isZero();
        domid = id.get(ValueLayout.JAVA_INT, 0);
        assertThat(sim.xmigsim_domain_create_dest(xch, PAGES, 0, id)).isZero();
        dest = id.get(ValueLayout.JAVA_INT, 0);
        bitmapDesc = XcHypercallBuffer.declare(arena);
        assertThat(xc.xc__hypercall_buffer_alloc_pages(xch, bitmapDesc, 1)).isNotEqualTo(MemorySegment.NULL);
        stats = XcShadowOpStats.allocate(arena);
    }

    @AfterEach
    void close() {
        xc.xc__hypercall_buffer_free_pages(xch, bitmapDesc, 1);
        assertThat(sim.xmigsim_domain_destroy(xch, domid)).isZero();
        assertThat(sim.xmigsim_domain_destroy(xch, dest)).isZero();
        assertThat(fm.xenforeignmemory_close(fmem)).isZero();
        assertThat(xc.xc_interface_close(xch)).isZero();
        arena.close();
    }

    @Test
    void anUnknownDomainIsEsrchForEveryCall() {
        MemorySegment out = arena.allocate(4096);
        assertThat(xc.xc_domain_nr_gpfns(xch, NO_SUCH_DOMAIN, out)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        assertThat(xc.xc_domain_maximum_gpfn(xch, NO_SUCH_DOMAIN, out)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        assertThat(xc.xc_domain_pause(xch, NO_SUCH_DOMAIN)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        assertThat(xc.xc_domain_unpause(xch, NO_SUCH_DOMAIN)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        assertThat(xc.xc_shadow_control(xch, NO_SUCH_DOMAIN, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, MemorySegment.NULL, 0)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        assertThat(xc.xc_logdirty_control(xch, NO_SUCH_DOMAIN, XEN_DOMCTL_SHADOW_OP_CLEAN, bitmapDesc, PAGES, 0, stats)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        assertThat(xc.xc_domain_hvm_getcontext(xch, NO_SUCH_DOMAIN, MemorySegment.NULL, 0)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        assertThat(xc.xc_domain_hvm_setcontext(xch, NO_SUCH_DOMAIN, out, 64)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ESRCH);
        MemorySegment pfns = arena.allocateFrom(ValueLayout.JAVA_LONG, 0L);
        assertThat(fm.xenforeignmemory_map(fmem, NO_SUCH_DOMAIN, XenForeignMemory.PROT_READ, 1, pfns, MemorySegment.NULL))
                .isEqualTo(MemorySegment.NULL);
        assertThat(fm.errno()).isEqualTo(Errno.ESRCH);
        assertThat(sim.xmigsim_install_pages(xch, NO_SUCH_DOMAIN, 0, 1, out, 0)).isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.ESRCH);
        assertThat(sim.xmigsim_counters(xch, NO_SUCH_DOMAIN, out)).isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.ESRCH);
        assertThat(sim.xmigsim_fault_read(xch, NO_SUCH_DOMAIN, out, 1)).isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.ESRCH);
        assertThat(sim.xmigsim_domain_destroy(xch, NO_SUCH_DOMAIN)).isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.ESRCH);
        MemorySegment info = arena.allocate(io.xmig.bindings.XcDomainInfo.LAYOUT);
        assertThat(xc.xc_domain_getinfolist(xch, NO_SUCH_DOMAIN, 1, info)).as("no domain at or after it").isZero();
    }

    @Test
    void logDirtyMisuseIsEinval() {
        assertThat(xc.xc_logdirty_control(xch, domid, XEN_DOMCTL_SHADOW_OP_CLEAN, bitmapDesc, PAGES, 0, stats))
                .as("CLEAN with log-dirty off").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_shadow_control(xch, domid, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, MemorySegment.NULL, 0)).isZero();
        assertThat(xc.xc_shadow_control(xch, domid, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, MemorySegment.NULL, 0))
                .as("enabled twice").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_logdirty_control(xch, domid, XEN_DOMCTL_SHADOW_OP_CLEAN, bitmapDesc, PAGES - 1, 0, stats))
                .as("a bitmap too small for the domain").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_logdirty_control(xch, domid, 99, bitmapDesc, PAGES, 0, stats)).as("unknown op").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_logdirty_control(xch, domid, XEN_DOMCTL_SHADOW_OP_PEEK, bitmapDesc, PAGES, 0x80, stats))
                .as("unknown mode flag").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        MemorySegment small = XcHypercallBuffer.declare(arena);
        MemorySegment userMemory = arena.allocate(8);                  // not a hypercall buffer
        XcHypercallBuffer.hbuf(small, userMemory);
        assertThat(xc.xc_logdirty_control(xch, domid, XEN_DOMCTL_SHADOW_OP_CLEAN, small, PAGES, 0, stats))
                .as("a bitmap outside any hypercall buffer").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_logdirty_control(xch, domid, XEN_DOMCTL_SHADOW_OP_CLEAN, bitmapDesc, PAGES, 0, stats)).isEqualTo(PAGES);
    }

    @Test
    void pageNumbersBeyondTheDomainAreRefused() {
        MemorySegment src = arena.allocate(2 * 4096);
        assertThat(sim.xmigsim_install_pages(xch, dest, PAGES, 1, src, 0)).isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.EINVAL);
        assertThat(sim.xmigsim_install_pages(xch, dest, PAGES - 1, 2, src, 0)).as("a run that crosses the end").isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.EINVAL);
        assertThat(sim.xmigsim_install_pages(xch, dest, -1L, 2, src, 0)).as("2^64-1").isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.EINVAL);
        assertThat(sim.xmigsim_install_pages(xch, dest, 0, 1, src, 0x40)).as("a bad flag").isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.EINVAL);

        MemorySegment pfns = arena.allocateFrom(ValueLayout.JAVA_LONG, 3L, PAGES + 5);
        MemorySegment err = arena.allocate(ValueLayout.JAVA_INT, 2);
        MemorySegment map = fm.xenforeignmemory_map(fmem, domid, XenForeignMemory.PROT_READ, 2, pfns, err);
        assertThat(map).as("partial success with err[]").isNotEqualTo(MemorySegment.NULL);
        assertThat(err.getAtIndex(ValueLayout.JAVA_INT, 0)).isZero();
        assertThat(err.getAtIndex(ValueLayout.JAVA_INT, 1)).isEqualTo(-Errno.EINVAL);
        assertThat(fm.xenforeignmemory_unmap(fmem, map, 2)).isZero();
        assertThat(fm.xenforeignmemory_map(fmem, domid, XenForeignMemory.PROT_READ, 2, pfns, MemorySegment.NULL))
                .as("without err[], any bad page fails the call").isEqualTo(MemorySegment.NULL);
        assertThat(fm.errno()).isEqualTo(Errno.EINVAL);
        assertThat(fm.xenforeignmemory_map(fmem, dest, XenForeignMemory.PROT_READ, 1, pfns, MemorySegment.NULL))
                .as("a page that has not arrived").isEqualTo(MemorySegment.NULL);
        assertThat(fm.errno()).isEqualTo(Errno.ENOENT);
        assertThat(fm.xenforeignmemory_unmap(fmem, MemorySegment.ofAddress(4096), 1)).as("not a mapping").isEqualTo(-1);
        assertThat(fm.errno()).isEqualTo(Errno.EINVAL);
        assertThat(sim.xmigsim_guest_write(xch, dest, pfns, 1)).as("guest write to a missing page").isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.ENOENT);
    }

    @Test
    void badWorkloadsContextsAndStatesAreRefusedWithAReason() {
        MemorySegment id = arena.allocate(ValueLayout.JAVA_INT);
        for (String spec : new String[]{"sweep:rate=fast", "nosuch", "sweep:ws=1G", "random:vcpus=0", "hotcold:hot=4M",
                "kv:rate=10", "trace:file=/nonexistent/trace.csv", "sweep:rate"}) {
            assertThat(sim.xmigsim_domain_create(xch, PAGES, arena.allocateFrom(spec), 1, 0, id)).as(spec).isEqualTo(-1);
            assertThat(sim.errno()).as(spec).isEqualTo(Errno.EINVAL);
            assertThat(sim.xmigsim_last_error()).as(spec).isNotBlank();
        }
        assertThat(sim.xmigsim_domain_create(xch, 0, arena.allocateFrom("idle"), 1, 0, id)).as("zero pages").isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.EINVAL);
        assertThat(sim.xmigsim_domain_create(xch, PAGES, arena.allocateFrom("idle"), 1, 0x80, id)).as("bad flag").isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.EINVAL);

        MemorySegment garbage = arena.allocate(256).fill((byte) 0x5a);
        assertThat(xc.xc_domain_pause(xch, dest)).as("destinations start paused; pause again is counted").isZero();
        assertThat(xc.xc_domain_hvm_setcontext(xch, dest, garbage, 256)).isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_domain_hvm_getcontext(xch, dest, MemorySegment.NULL, 0)).as("no context before setcontext").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ENODATA);
        int size = xc.xc_domain_hvm_getcontext(xch, domid, MemorySegment.NULL, 0);
        assertThat(size).isPositive();
        MemorySegment ctx = arena.allocate(size);
        assertThat(xc.xc_domain_hvm_getcontext(xch, domid, ctx, size - 1)).as("buffer too small").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.ENOSPC);
        assertThat(xc.xc_domain_hvm_getcontext(xch, domid, ctx, size)).isEqualTo(size);
        assertThat(xc.xc_domain_hvm_setcontext(xch, dest, ctx, size - 8)).as("truncated: no END record").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_domain_hvm_setcontext(xch, domid, ctx, size)).as("a running domain").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EBUSY);

        assertThat(sim.xmigsim_fault_read(xch, domid, arena.allocate(8), 1)).as("a source takes no faults").isEqualTo(-1);
        assertThat(sim.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_domain_unpause(xch, domid)).as("unpause a running domain").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);
        assertThat(xc.xc_domain_nr_gpfns(MemorySegment.NULL, 1, arena.allocate(8))).as("NULL handle").isEqualTo(-1);
        assertThat(xc.errno()).isEqualTo(Errno.EINVAL);

        MemorySegment counters = arena.allocate(io.xmig.bindings.XmigSimCounters.LAYOUT);
        assertThat(sim.xmigsim_counters(xch, domid, counters)).as("the domain still runs").isZero();
    }

    @Test
    void theHypervisorViewTurnsErrnoIntoExceptionsNamingCallDomainAndReason() {
        try (XenHypervisor hv = XenHypervisor.open()) {
            assertThatThrownBy(() -> hv.pause(NO_SUCH_DOMAIN)).isInstanceOf(HypervisorException.class)
                    .hasMessageContaining("xc_domain_pause").hasMessageContaining(String.valueOf(NO_SUCH_DOMAIN))
                    .hasMessageContaining("ESRCH");
            assertThatThrownBy(() -> hv.simulator().orElseThrow().createDomain(PAGES, "sweep:rate=fast", 1))
                    .isInstanceOf(HypervisorException.class).hasMessageContaining("EINVAL").hasMessageContaining("rate");
        }
    }
}
