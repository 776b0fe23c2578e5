package io.xmig.bindings;

import java.nio.file.Path;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.xmig.bindings.XenLibraries.Hypervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One property, xmig.hypervisor, picks the libraries; anything but sim or xen is refused by name. */
class LibrarySelectionTest {
    private final String savedHypervisor = System.getProperty(XenLibraries.HYPERVISOR_PROPERTY);
    private final String savedSimLibrary = System.getProperty(XenLibraries.SIM_LIBRARY_PROPERTY);
    private final String savedLibraryPath = System.getProperty("java.library.path");

    @AfterEach
    void restoreProperties() {
        restore(XenLibraries.HYPERVISOR_PROPERTY, savedHypervisor);
        restore(XenLibraries.SIM_LIBRARY_PROPERTY, savedSimLibrary);
        restore("java.library.path", savedLibraryPath);
    }

    private static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }

    @Test
    void simIsTheDefault() {
        System.clearProperty(XenLibraries.HYPERVISOR_PROPERTY);

        assertThat(Hypervisor.configured()).isEqualTo(Hypervisor.SIM);
    }

    @Test
    void valuesAreSimAndXenInAnyCase() {
        assertThat(Hypervisor.of("sim")).isEqualTo(Hypervisor.SIM);
        assertThat(Hypervisor.of(" XEN ")).isEqualTo(Hypervisor.XEN);
    }

    @Test
    void anUnknownHypervisorIsRefusedNamingTheAllowedValues() {
        System.setProperty(XenLibraries.HYPERVISOR_PROPERTY, "kvm");

        assertThatIllegalArgumentException().isThrownBy(XenLibraries::load)
                .withMessageContaining("xmig.hypervisor=kvm")
                .withMessageContaining("xmig.hypervisor=sim")
                .withMessageContaining("xmig.hypervisor=xen");
    }

    @Test
    void xenLoadsBothRealLibraries() {
        System.setProperty(XenLibraries.HYPERVISOR_PROPERTY, "xen");

        XenLibraries libs = XenLibraries.load();

        assertThat(libs.hypervisor()).isEqualTo(Hypervisor.XEN);
        assertThat(libs.xenctrl().find("xc_interface_open")).isPresent();
        assertThat(libs.xenforeignmemory().find("xenforeignmemory_map")).isPresent();
    }

    @Test
    void theSimulatorCallsDoNotExistOnXen() {
        XenLibraries xen = XenLibraries.xen();

        assertThatIllegalStateException().isThrownBy(xen::xmigSim)
                .withMessageContaining("simulator")
                .withMessageContaining("xmig.hypervisor=sim");
        assertThatIllegalStateException().isThrownBy(xen::xmigsim);
    }

    @Test
    void aMissingSimulatorLibrarySaysHowToBuildIt() {
        assertThatThrownBy(() -> XenLibraries.sim(Path.of("/nonexistent/libxmigsim.so")))
                .isInstanceOf(HypervisorUnavailableException.class)
                .hasMessageContaining("/nonexistent/libxmigsim.so")
                .hasMessageContaining("mvn -pl native compile");
    }

    @Test
    void withoutXmigSimLibraryTheSimulatorIsSearchedOnJavaLibraryPath(@TempDir Path empty) {
        System.clearProperty(XenLibraries.HYPERVISOR_PROPERTY);
        System.clearProperty(XenLibraries.SIM_LIBRARY_PROPERTY);
        System.setProperty("java.library.path", empty.toString());

        assertThatThrownBy(XenLibraries::load)
                .isInstanceOf(HypervisorUnavailableException.class)
                .hasMessageContaining("java.library.path (" + empty + ")")
                .hasMessageContaining("mvn -pl native compile");
    }
}
