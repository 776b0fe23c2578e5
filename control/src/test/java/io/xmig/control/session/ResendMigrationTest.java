package io.xmig.control.session;

import io.xmig.control.policy.Action;
import io.xmig.control.policy.Policies;
import io.xmig.control.policy.RoundStats;
import io.xmig.dataplane.heat.ResendRule;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.pagepath.Compression;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Given a simulated guest running any workload, when it is migrated with the hot cluster deferred (or with Xen's skip
 * rule), under pre-copy, the hybrid and post-copy after the first pass, then no page is lost: the destination's memory
 * equals the source's page by page (after post-copy: every page the guest has not rewritten there). And a guest
 * migrated with LZ4 on gives the destination the same memory as without.
 */
@Timeout(600)
class ResendMigrationTest {
    @AfterAll
    static void noBufferLeaked() {
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    private static final long PAGES = 16384;                      // 64 MiB
    private static final long BANDWIDTH = 64L << 20;              // rounds long enough for heat to build up
    @TempDir
    static Path tmp;
    private static Path trace;
    private static XenHypervisor hv;

    @BeforeAll
    static void setUp() throws Exception {
        trace = EveryWorkload.writeTrace(tmp);
        hv = XenHypervisor.open();
    }

    @AfterAll
    static void tearDown() {
        hv.close();
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String w : EveryWorkload.SPECS) {
            for (String p : List.of("downtime-limit", "hybrid-threshold", "postcopy-after-first-pass")) out.add(Arguments.of(w, p, "clustering"));
            out.add(Arguments.of(w, "downtime-limit", "xen-skip"));
        }
        return out.stream();
    }

    private static MigrationOutcome migrateAndCheck(String workload, String policy, ResendRule rule, Compression lz4)
            throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        MigrationOptions options = new MigrationOptions(Policies.create(policy), policy, 2, BANDWIDTH, true, Duration.ofSeconds(20))
                .with(rule, lz4);
        LocalMigration.Result r = LocalMigration.migrateNew(hv, PAGES, workload.replace("TRACE", trace.toString()), 7, options, s -> { });
        try {
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).as("%s: %s", o.error(), o.decision()).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.verify().pagesDiffering()).as("pages that differ after migration").isZero();
            if (o.decision().action() == Action.STOP_AND_COPY) {
                assertThat(o.verify().pagesChecked()).isEqualTo(PAGES);
            } else {
                MigrationOutcome.Postcopy pc = o.postcopy();
                assertThat(pc.pagesPushed() + pc.pagesPulled()).as("pages installed after the switch").isEqualTo(pc.missingAtResume());
            }
            assertThat(o.resend().rule()).isEqualTo(rule.spec());
            assertThat(o.resend().deferredPerRound()).hasSameSizeAs(o.rounds());
            if (rule != ResendRule.CLUSTERING) assertThat(o.resend().deferredPages()).isZero();
            if (rule == ResendRule.NONE) assertThat(o.resend().skippedPages()).isZero();
            return o;
        } finally {
            sim.destroy(r.sourceDomid());
            if (r.destinationDomid() >= 0) sim.destroy(r.destinationDomid());
        }
    }

    @ParameterizedTest(name = "{0} with {1}, {2}")
    @MethodSource("cases")
    void deferralNeverLosesAPage(String workload, String policy, String rule) throws Exception {
        MigrationOutcome o = migrateAndCheck(workload, policy, ResendRule.parse(rule), Compression.OFF);
        if (workload.startsWith("hotcold") && rule.equals("clustering") && !policy.startsWith("postcopy")) {
            assertThat(o.resend().deferredPages()).as("the hot region is held back at least once").isPositive();
            assertThat(o.rounds().stream().mapToLong(RoundStats::hotSetPages).max().orElse(0))
                    .as("the policies see a hot set").isPositive();
        }
        assertThat(hv.domains()).as("no domain left behind").isEmpty();
    }

    /**
     * A 64 MiB guest whose first half holds text-like pages (the simulator fills RAM with random words, which LZ4
     * cannot shrink) and which keeps writing while it migrates: the destination equals the source page by page, with
     * LZ4 on as with it off, and LZ4 put fewer bytes on the wire.
     */
    @Test
    void compressedAndPlainFramesGiveTheSameDestinationMemory() throws Exception {
        MigrationOutcome plain = migrateTextGuest(Compression.OFF);
        MigrationOutcome packed = migrateTextGuest(Compression.ON);
        assertThat(plain.compression().frames()).isZero();
        assertThat(packed.compression().frames()).as("frames sent as PAGES_LZ4").isPositive();
        assertThat(packed.compression().compressedBytes()).isLessThan(packed.compression().rawBytes() / 2);
        assertThat(packed.bytesSent()).as("bytes on the wire").isLessThan(plain.bytesSent() * 3 / 4);
        assertThat(packed.compression().cpuNanos()).isPositive();
        assertThat(hv.domains()).as("no domain left behind").isEmpty();
    }

    private static MigrationOutcome migrateTextGuest(Compression lz4) throws Exception {
        GuestSimulator sim = hv.simulator().orElseThrow();
        int source = sim.createDomain(PAGES, "random:rate=2k,ws=48M", 7);
        int dest = -1;
        try {
            hv.pause(source);
            byte[] text = ("xmig moves a running guest's memory from one host to another while the guest keeps running; "
                    + "round 1 sends the pages the guest dirtied. ").repeat(64).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            for (long p = 0; p < PAGES / 2; p += 256) {
                try (io.xmig.dataplane.hypervisor.PageMapping m = hv.memory(source).mapRun(p, 256, true)) {
                    for (int i = 0; i < 256; i++) {
                        java.lang.foreign.MemorySegment.copy(text, 0, m.page(i), java.lang.foreign.ValueLayout.JAVA_BYTE,
                                (p + i) % 7, 4000);
                    }
                }
            }
            hv.unpause(source);
            MigrationOptions options = new MigrationOptions(Policies.create("xen-default"), "xen-default", 2, BANDWIDTH, true,
                    Duration.ofSeconds(20)).with(ResendRule.NONE, lz4);
            LocalMigration.Result r = LocalMigration.migrate(hv, source, options, s -> { });
            dest = r.destinationDomid();
            MigrationOutcome o = r.outcome();
            assertThat(o.status()).as("%s", o.error()).isEqualTo(MigrationOutcome.Status.COMPLETED);
            assertThat(o.verify().pagesChecked()).isEqualTo(PAGES);
            assertThat(o.verify().pagesDiffering()).as("pages that differ after migration with LZ4 %s", lz4.spec()).isZero();
            return o;
        } finally {
            sim.destroy(source);
            if (dest >= 0) sim.destroy(dest);
        }
    }
}
