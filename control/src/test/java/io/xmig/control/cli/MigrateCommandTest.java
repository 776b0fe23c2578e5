package io.xmig.control.cli;

import io.xmig.control.report.MigrationReport;
import io.xmig.control.report.ReportWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.xmig.control.cli.CliRun.xmig;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code xmig migrate} as a user runs it: a local migration with a report, and one-line errors for every bad input. */
@Timeout(120)
class MigrateCommandTest {


    @Test
    void aLocalMigrationPrintsASummaryAndWritesTheReport(@TempDir Path tmp) throws Exception {
        Path report = tmp.resolve("out.json");
        CliRun r = xmig("migrate", "--local", "--mem", "64M", "--workload", "sweep:rate=10000,ws=16M", "--policy",
                "downtime-limit", "--bandwidth", "200MiB", "--channels", "2", "--report", report.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("xmig migrate: completed").contains("16384 pages checked (direct), 0 differ");
        assertThat(r.err()).as("progress lines").contains("round 0:");
        MigrationReport rep = ReportWriter.read(report);
        assertThat(rep.status()).isEqualTo(MigrationReport.Status.COMPLETED);
        assertThat(rep.guestBytes()).isEqualTo(64L << 20);
        assertThat(rep.verify().pagesDiffering()).isZero();
        assertThat(rep.downtimeMs()).isPositive();
        assertThat(rep.rounds()).isNotEmpty();
        assertThat(rep.switchover().decision()).isEqualTo("stop_and_copy");
        assertThat(Files.readString(report)).contains("\"bytes_sent\"").contains("\"guest_max_stall_ms\"");
    }

    @Test
    void anUnknownWorkloadIsAOneLineError() {
        CliRun r = xmig("migrate", "--local", "--mem", "16M", "--workload", "nosuch:rate=1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).doesNotContain("\n").contains("unknown workload 'nosuch'");
    }

    @Test
    void anUnknownPolicyIsAUsageError() {
        CliRun r = xmig("migrate", "--local", "--policy", "magic");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("magic").contains("xen-default").contains("downtime-limit");
    }

    @Test
    void badFlagsAreUsageErrors() {
        assertThat(xmig("migrate", "--local", "--mem", "lots").exit()).isEqualTo(2);
        assertThat(xmig("migrate", "--local", "--bandwidth", "fast").exit()).isEqualTo(2);
        assertThat(xmig("migrate", "--local", "--channels", "0").exit()).isEqualTo(2);
        assertThat(xmig("migrate", "--local", "--reconnect-timeout", "soon").exit()).isEqualTo(2);
        assertThat(xmig("migrate").exit()).as("neither --local nor --to").isEqualTo(2);
        assertThat(xmig("migrate", "--local", "--to", "127.0.0.1:1").exit()).as("both").isEqualTo(2);
        assertThat(xmig("migrate", "--to", "nowhere").exit()).isEqualTo(2);
    }

    @Test
    void anUnreachablePeerFailsWithAOneLineReasonAndTheGuestStaysHome() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();                             // closed again: nobody listens there
        }
        CliRun r = xmig("migrate", "--to", "127.0.0.1:" + port, "--mem", "16M", "--workload", "idle", "--quiet");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("xmig migrate: failed").contains("cannot connect to");
    }
}
