package io.xmig.bindings;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicIntegerArray;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * Xen 4.17's real libraries on a machine without a hypervisor (every CI machine): they load, the bindings
 * link against every function, and opening the interface fails cleanly with ENOENT instead of crashing.
 */
class RealXenLibraryTest {
    private static XenLibraries xen;

    @BeforeAll
    static void loadRealLibraries() {
        assumeThat(Files.exists(Path.of("/dev/xen/privcmd")))
                .as("this machine runs Xen: the no-hypervisor facts below do not apply").isFalse();
        xen = XenLibraries.xen();
    }

    @Test
    void realLibrariesExportEveryFunctionTheBindingsCall() {
        assertThat(xen.hypervisor()).isEqualTo(XenLibraries.Hypervisor.XEN);
        assertThat(xen.xenCtrl()).isNotNull();
        assertThat(xen.xenForeignMemory()).isNotNull();
    }

    @Test
    void openInterfaceExplainsThatThereIsNoPrivcmdAndPointsToTheSimulator() {
        var e = catchThrowableOfType(HypervisorUnavailableException.class, () -> xen.xenCtrl().openInterface());

        assertThat(e).as("openInterface() without a hypervisor").isNotNull();
        assertThat(e.errno()).isEqualTo(Errno.ENOENT);
        assertThat(e.getMessage()).contains("/dev/xen/privcmd", "ENOENT", "-Dxmig.hypervisor=sim",
                "mvn -pl native compile", "./setup.sh");
    }

    @Test
    void xcInterfaceOpenReturnsNullWithErrnoEnoent() {
        XenCtrl xc = xen.xenCtrl();

        MemorySegment xch = xc.xc_interface_open(MemorySegment.NULL, MemorySegment.NULL, 0);

        assertThat(xch).isEqualTo(MemorySegment.NULL);
        assertThat(xc.errno()).as(Errno.name(xc.errno())).isEqualTo(Errno.ENOENT);
    }

    @Test
    void xenforeignmemoryOpenReturnsNullWithErrnoEnoent() {
        XenForeignMemory fm = xen.xenForeignMemory();

        MemorySegment fmem = fm.xenforeignmemory_open(MemorySegment.NULL, 0);

        assertThat(fmem).isEqualTo(MemorySegment.NULL);
        // Measured on Debian 12, libxenforeignmemory 4.17, no /dev/xen: ENOENT, like xc_interface_open.
        assertThat(fm.errno()).as(Errno.name(fm.errno())).isNotZero().isEqualTo(Errno.ENOENT);
        var e = catchThrowableOfType(HypervisorUnavailableException.class, fm::openHandle);
        assertThat(e).as("openHandle() without a hypervisor").isNotNull();
        assertThat(e.getMessage()).contains("xenforeignmemory_open", "/dev/xen/privcmd", "ENOENT");
    }

    @Test
    void errnoIsPerThreadLikeC() throws InterruptedException {
        XenCtrl xc = xen.xenCtrl();
        xc.xc_interface_open(MemorySegment.NULL, MemorySegment.NULL, 0);
        var seen = new AtomicIntegerArray(2);

        Thread other = Thread.ofPlatform().start(() -> {
            seen.set(0, xc.errno());
            xc.xc_interface_open(MemorySegment.NULL, MemorySegment.NULL, 0);
            seen.set(1, xc.errno());
        });
        other.join();

        assertThat(seen.get(0)).as("errno of a thread that made no call").isZero();
        assertThat(seen.get(1)).isEqualTo(Errno.ENOENT);
        assertThat(xc.errno()).isEqualTo(Errno.ENOENT);
    }
}
