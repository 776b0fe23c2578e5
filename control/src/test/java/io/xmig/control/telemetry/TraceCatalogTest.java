package io.xmig.control.telemetry;

import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TraceCatalogTest {
    @Test
    void aFamilyAndSeedAlwaysGiveTheSameTraceAndSeedsDiffer() {
        for (String f : TraceCatalog.FAMILIES) {
            assertThat(TraceCatalog.spec(f, 3, 60)).isEqualTo(TraceCatalog.spec(f, 3, 60));
            Set<String> specs = new HashSet<>();
            for (long s = 1; s <= 6; s++) {
                TraceSpec t = TraceCatalog.spec(f, s, 60);
                specs.add(t.workload() + t.replay());
            }
            assertThat(specs).as(f).hasSizeGreaterThan(1);
        }
        assertThatThrownBy(() -> TraceCatalog.spec("nope", 1, 1)).hasMessageContaining("unknown workload family 'nope'");
    }

    @Test
    void everySpecIsAWorkloadTheSimulatorAccepts(@TempDir Path dir) throws Exception {
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = hv.simulator().orElseThrow();
            for (String f : TraceCatalog.FAMILIES) {
                for (long seed = 1; seed <= 3; seed++) {
                    TraceSpec t = TraceCatalog.spec(f, seed, 10);
                    String w = t.workload();
                    if (t.replay() != null) {
                        Path r = dir.resolve(t.name() + ".csv");
                        Files.writeString(r, t.replay());
                        assertThat(t.replay().lines().count()).isEqualTo(1 + 12);
                        w = w.replace(TraceSpec.REPLAY_FILE, r.toString());
                    }
                    int d = sim.createDomain(t.memoryMiB() * 256, w, seed, GuestSimulator.CreateFlag.PAUSED);
                    sim.destroy(d);
                }
            }
        }
    }
}
