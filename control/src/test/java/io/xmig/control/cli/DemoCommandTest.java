package io.xmig.control.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Arrays;
import java.util.List;

import static io.xmig.control.cli.CliRun.xmig;
import static org.assertj.core.api.Assertions.assertThat;

/** The demo the README shows: each round's CLEAN equals the workload's own record, and bad options are refused. */
@Timeout(60)
class DemoCommandTest {


    @Test
    void everyRoundMatchesTheWorkloadsOwnRecord() {
        CliRun r = xmig("demo", "--memory", "32", "--workload", "sweep:rate=20k,ws=16M", "--rounds", "5", "--interval-ms", "50");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String[]> rows = Arrays.stream(r.out().split("\n")).map(String::trim)
                .filter(l -> l.matches("^\\d+ .*")).map(l -> l.split("\\s+")).toList();
        assertThat(rows).hasSize(5);
        for (String[] row : rows) {
            long workloadPages = Long.parseLong(row[3]), cleanDirty = Long.parseLong(row[4]);
            assertThat(cleanDirty).isEqualTo(workloadPages).isPositive();
            assertThat(row[5]).isEqualTo("yes");
        }
        assertThat(r.out()).contains("every CLEAN equalled the workload's own record");
    }

    @Test
    void theSynchronousFallbackGivesTheSameAnswer() {
        CliRun r = xmig("demo", "--memory", "16", "--workload", "random:rate=10k", "--rounds", "3", "--interval-ms", "30",
                "--sync-tracking");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("synchronous write-protect").contains("every CLEAN equalled");
    }

    @Test
    void aBadWorkloadIsAClearErrorNotAStackTrace() {
        CliRun r = xmig("demo", "--workload", "sweep:rate=lots");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("xmigsim_domain_create").contains("EINVAL").contains("bad value for rate");
    }

    @Test
    void badUsageIsExitTwo() {
        assertThat(xmig("demo", "--rounds", "0").exit()).isEqualTo(2);
        assertThat(xmig("demo", "--no-such-flag").exit()).isEqualTo(2);
    }
}
