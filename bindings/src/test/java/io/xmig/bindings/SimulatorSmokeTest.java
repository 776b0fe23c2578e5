package io.xmig.bindings;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * libxmigsim.so (built by the native module, found through -Dxmig.sim.library) answers the bindings as
 * xmig expects: the default hypervisor is the simulator, its ABI version is this header's, an interface
 * opens, and a call on a domain that does not exist fails with ESRCH, read through errno.
 */
class SimulatorSmokeTest {
    private static final int NO_SUCH_DOMAIN = 4242;

    private static XenLibraries sim;
    private static XenCtrl xc;
    private static MemorySegment xch;

    @BeforeAll
    static void openSimulator() {
        sim = XenLibraries.load();
        xc = sim.xenCtrl();
        xch = xc.xc_interface_open(MemorySegment.NULL, MemorySegment.NULL, 0);
    }

    @AfterAll
    static void closeSimulator() {
        if (xch != null && !xch.equals(MemorySegment.NULL)) {
            assertThat(xc.xc_interface_close(xch)).isZero();
        }
    }

    @Test
    void theDefaultHypervisorIsTheSimulatorOfThisAbiVersion() {
        assertThat(sim.hypervisor()).isEqualTo(XenLibraries.Hypervisor.SIM);
        assertThat(sim.xmigSim().xmigsim_abi_version()).isEqualTo(XmigSim.XMIGSIM_ABI_VERSION).isEqualTo(1);
    }

    @Test
    void xcInterfaceOpenGivesAHandle() {
        assertThat(xch).isNotEqualTo(MemorySegment.NULL);
    }

    @Test
    void aDomainThatDoesNotExistIsEsrch() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment gpfns = arena.allocate(JAVA_LONG);

            assertThat(xc.xc_domain_nr_gpfns(xch, NO_SUCH_DOMAIN, gpfns)).isEqualTo(-1);
            assertThat(xc.errno()).as(Errno.name(xc.errno())).isEqualTo(Errno.ESRCH);
        }
    }

    @Test
    void onceCompiledACallAndItsErrnoAllocateNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment gpfns = arena.allocate(JAVA_LONG);
            long fewest = Long.MAX_VALUE;
            // The first rounds run interpreted (and allocate); the JIT compiles the path within a few rounds.
            for (int round = 0; round < 30 && fewest > 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                int failures = callAndReadErrno(gpfns, 100_000);
                fewest = Math.min(fewest, threads.getCurrentThreadAllocatedBytes() - before);
                assertThat(failures).isEqualTo(100_000);
            }
            assertThat(fewest).as("bytes allocated by 100,000 compiled calls").isZero();
        }
    }

    private static int callAndReadErrno(MemorySegment gpfns, int calls) {
        int esrch = 0;
        for (int i = 0; i < calls; i++) {
            if (xc.xc_domain_nr_gpfns(xch, NO_SUCH_DOMAIN, gpfns) == -1 && xc.errno() == Errno.ESRCH) esrch++;
        }
        return esrch;
    }
}
