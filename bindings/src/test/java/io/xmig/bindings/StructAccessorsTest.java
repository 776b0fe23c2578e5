package io.xmig.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The accessors read and write the fields AbiTest checks, with C's widths and signedness. */
class StructAccessorsTest {

    @Test
    void domainInfoArrayElementsAreIndependentAndUnsignedFieldsReadUnsigned() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment infos = XcDomainInfo.allocateArray(3, arena);
            MemorySegment second = XcDomainInfo.asSlice(infos, 1);

            XcDomainInfo.domain(second, 0xFFF0);
            XcDomainInfo.flags(second, XenCtrl.XEN_DOMINF_shutdown | XenCtrl.XEN_DOMINF_hap | (3 << XenCtrl.XEN_DOMINF_shutdownshift));
            XcDomainInfo.tot_pages(second, 1L << 40);
            XcDomainInfo.gpaddr_bits(second, 0xFF);

            assertThat(XcDomainInfo.domain(second)).isEqualTo(0xFFF0);
            assertThat(XcDomainInfo.shutdown_code(second)).isEqualTo(3);
            assertThat(XcDomainInfo.tot_pages(second)).isEqualTo(1L << 40);
            assertThat(XcDomainInfo.gpaddr_bits(second)).isEqualTo(255);
            assertThat(XcDomainInfo.handle(second).byteSize()).isEqualTo(16);
            assertThat(XcDomainInfo.domain(XcDomainInfo.asSlice(infos, 0))).isZero();
            assertThat(XcDomainInfo.tot_pages(XcDomainInfo.asSlice(infos, 2))).isZero();
        }
    }

    @Test
    void hypercallBufferIsDeclaredAsTheCMacroDoes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(XcHypercallBuffer.LAYOUT);
            b.fill((byte) 0x5A);

            XcHypercallBuffer.init(b);

            assertThat(XcHypercallBuffer.hbuf(b)).isEqualTo(MemorySegment.NULL);
            assertThat(XcHypercallBuffer.param_shadow(b)).isEqualTo(MemorySegment.NULL);
            assertThat(XcHypercallBuffer.dir(b)).isZero();
            assertThat(XcHypercallBuffer.ubuf(b).address()).isEqualTo(-1L);
            assertThat(XcHypercallBuffer.sz(b)).isZero();
        }
    }

    @Test
    void hvmSaveDescriptorsReadFromAnyOffsetOfAHeapContext() {
        MemorySegment ctxt = MemorySegment.ofArray(new byte[3 + 8]);

        HvmSaveDescriptor.typecode(ctxt, 3, XmigSim.XMIGSIM_HVM_SAVE_CODE_WORKLOAD);
        HvmSaveDescriptor.instance(ctxt, 3, 0xFFFF);
        HvmSaveDescriptor.length(ctxt, 3, 1024);

        assertThat(HvmSaveDescriptor.typecode(ctxt, 3)).isEqualTo(100);
        assertThat(HvmSaveDescriptor.instance(ctxt, 3)).isEqualTo(0xFFFF);
        assertThat(HvmSaveDescriptor.length(ctxt, 3)).isEqualTo(1024);
    }

    @Test
    void countersAndStatsRoundTrip() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = XmigSimCounters.allocate(arena);
            XmigSimCounters.wp_faults(c, 7);
            XmigSimCounters.state(c, XmigSim.XMIGSIM_STATE_HALTED);
            MemorySegment stats = XcShadowOpStats.allocate(arena);
            XcShadowOpStats.dirty_count(stats, 42);

            assertThat(XmigSimCounters.wp_faults(c)).isEqualTo(7);
            assertThat(XmigSimCounters.state(c)).isEqualTo(XmigSim.XMIGSIM_STATE_HALTED);
            assertThat(XmigSimCounters.writes(c)).isZero();
            assertThat(XcShadowOpStats.dirty_count(stats)).isEqualTo(42);
            assertThat(XcShadowOpStats.fault_count(stats)).isZero();
        }
    }
}
