package io.xmig.control.xenstream;

import io.xmig.control.policy.Policies;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.xmig.control.xenstream.XenStreamFormat.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Given a simulated guest writing memory, when xmig sends it as a Xen 4.17 stream under Xen's default policy, then
 * Xen's own {@code verify-stream-v2} accepts the stream, xmig's reader accepts it and counts the pages the sender
 * reported, and the image the stream describes equals the stopped guest; and every corrupted variant is rejected by
 * xmig's reader with a message that names the fault (and by Xen's verifier too, where it checks that fault).
 * The verifier's cases are skipped (JUnit assumption) where xen-utils-4.17 is not installed.
 */
@Timeout(120)
class XenStreamTest {
    private static final Path VERIFIER = Path.of("/usr/lib/xen-4.17/bin/verify-stream-v2");
    private static final long PAGES = 4096;                 // 16 MiB
    private static final byte[] CONFIG = "{\"c_info\":{\"type\":\"pvh\",\"name\":\"t\"}}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path tmp;
    private static XenHypervisor hv;
    private static byte[] stream;
    private static SendReport report;
    private static long imagePages;

    @BeforeAll
    static void sendAGuest() throws Exception {
        hv = XenHypervisor.open();
        GuestSimulator sim = hv.simulator().orElseThrow();
        int domid = sim.createDomain(PAGES, "sweep:rate=50k,ws=8M", 3);
        try (PageImage image = new PageImage(PAGES)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long[] diffs = {-1};
            XenStreamSender sender = new XenStreamSender(hv, domid, Policies.create("xen-default"), "xen-default",
                    new PauseSuspend(hv)).observer(image).atPausePoint(() -> diffs[0] = image.differingPages(hv.memory(domid)));
            SendReport r = sender.send(out, CONFIG);
            report = new SendReport(r.domid(), r.policy(), r.suspend(), r.guestPages(), r.rounds(), r.finalPages(),
                    r.finalDecision(), r.totalMillis(), r.downtimeMillis(), r.streamBytes(), diffs[0]);
            imagePages = image.pages();
            stream = out.toByteArray();
        } finally {
            sim.destroy(domid);
        }
    }

    @AfterAll
    static void close() {
        hv.close();
    }

    @Test
    void xensOwnVerifierAcceptsTheStream() throws Exception {
        assumeTrue(Files.isExecutable(VERIFIER), "xen-utils-4.17 (verify-stream-v2) is not installed");
        Verdict v = verify(stream);
        assertThat(v.rc).as(v.output).isZero();
        assertThat(v.output).contains("Domain Header: x86 HVM from Xen 4.17", "Libxc Record: HVM context", "Libxl Record: End");
    }

    @Test
    void xmigsReaderAcceptsItAndCountsTheSentPages() throws Exception {
        StreamSummary s = XenStreamReader.read(new ByteArrayInputStream(stream));
        long sent = report.rounds().stream().mapToLong(SendReport.Round::pagesSent).sum() + report.finalPages();
        assertThat(s.dataPages()).as("pages with data in the stream").isEqualTo(sent);
        assertThat(report.rounds().getFirst().pagesSent()).as("round 0 is the full pass").isEqualTo(PAGES);
        assertThat(report.rounds()).as("the guest writes, so Xen's policy iterates").hasSizeGreaterThan(1);
        assertThat(s.records()).startsWith("libxl:LIBXC_CONTEXT", "libxc:STATIC_DATA_END").endsWith("libxc:END", "libxl:END");
        assertThat(s.records()).contains("libxc:HVM_CONTEXT");
        assertThat(s.hvmContextBytes()).isPositive();
        assertThat(s.configJsonBytes()).isEqualTo(CONFIG.length + 1);
        assertThat(s.streamBytes()).isEqualTo(stream.length).isEqualTo(report.streamBytes());
        assertThat(s.trailingBytes()).isZero();
    }

    @Test
    void atThePausePointTheStreamsImageEqualsTheGuest() {
        assertThat(report.pausePointDiffs()).as("pages differing between the stream's image and the stopped guest").isZero();
        assertThat(imagePages).isEqualTo(PAGES);
    }

    static Stream<Arguments> corruptions() {
        return Stream.of(
                Arguments.of("bad xl magic", (UnaryOperator<byte[]>) s -> set(s, 0, (byte) 'Y'), "no xl magic", true),
                Arguments.of("unknown record type", (UnaryOperator<byte[]>) s -> putInt(s, record(s, REC_HVM_CONTEXT), 0x42),
                        "unknown libxc record type 0x42", true),
                Arguments.of("invalid pfn type", (UnaryOperator<byte[]>) s -> set(s, record(s, REC_PAGE_DATA) + 16 + 7, (byte) 0x50),
                        "invalid type 5", true),
                Arguments.of("reserved pfn bits", (UnaryOperator<byte[]>) s -> set(s, record(s, REC_PAGE_DATA) + 16 + 6, (byte) 0x80),
                        "reserved bits set", true),
                Arguments.of("count does not match the length", (UnaryOperator<byte[]>) s -> putInt(s, record(s, REC_PAGE_DATA) + 8,
                        getInt(s, record(s, REC_PAGE_DATA) + 8) - 1), "expected", true),
                Arguments.of("non-empty END", (UnaryOperator<byte[]>) s -> putInt(s, record(s, REC_END) + 4, 8), "must be empty", true),
                Arguments.of("truncated in page data", (UnaryOperator<byte[]>) s -> Arrays.copyOf(s, record(s, REC_PAGE_DATA) + 5000),
                        "stream truncated", true),
                Arguments.of("no HVM_CONTEXT", (UnaryOperator<byte[]>) s -> handMade(true, false), "ends without an HVM_CONTEXT", false),
                Arguments.of("pages before STATIC_DATA_END", (UnaryOperator<byte[]>) s -> handMade(false, true),
                        "PAGE_DATA before STATIC_DATA_END", false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corruptions")
    void aCorruptedStreamIsRejectedWithAClearError(String name, UnaryOperator<byte[]> corrupt, String message,
                                                   boolean verifierChecksIt) throws Exception {
        byte[] bad = corrupt.apply(stream.clone());
        assertThatThrownBy(() -> XenStreamReader.read(new ByteArrayInputStream(bad)))
                .isInstanceOf(XenStreamException.class).hasMessageContaining(message).hasMessageContaining("at byte ");
        if (Files.isExecutable(VERIFIER)) {
            Verdict v = verify(bad);
            if (verifierChecksIt) {
                assertThat(v.rc).as("verify-stream-v2 on '%s': %s", name, v.output).isNotZero();
            } else {
                assertThat(v.rc).as("verify-stream-v2 does not check '%s' (a receiver would fail): %s", name, v.output).isZero();
            }
        }
    }

    /** A small valid-looking stream built with the writer, leaving out HVM_CONTEXT or putting pages first. */
    private static byte[] handMade(boolean withStaticEnd, boolean withContext) {
        try (Arena arena = Arena.ofConfined()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            XenStreamWriter w = new XenStreamWriter(out);
            w.xlHeader(CONFIG);
            w.libxlHeader();
            w.libxlRecord(LIBXL_REC_LIBXC_CONTEXT, new byte[0]);
            w.libxcHeaders(DOMAIN_TYPE_X86_HVM, 4, 17);
            if (withStaticEnd) w.libxcRecord(REC_STATIC_DATA_END, new byte[0]);
            MemorySegment page = arena.allocate(4096);
            w.pageData(new long[]{7, 9 | (TYPE_XTAB << PFN_TYPE_SHIFT)}, 2, page, new int[]{0, 0});
            if (withContext) w.libxcRecord(REC_HVM_CONTEXT, new byte[16]);
            w.libxcRecord(REC_END, new byte[0]);
            w.libxlRecord(LIBXL_REC_END, new byte[0]);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Offset of the first libxc record of {@code type} in a stream this sender wrote. */
    private static int record(byte[] s, int type) {
        int at = XL_HEADER_BYTES + getInt(s, 44) + 16 + 8 + 24 + 16;      // xl, libxl header, LIBXC_CONTEXT, libxc headers
        while (at + 8 <= s.length) {
            int t = getInt(s, at), len = getInt(s, at + 4);
            if (t == type) return at;
            at += 8 + len + (8 - len % 8) % 8;
        }
        throw new AssertionError("no record of type " + type);
    }

    private static int getInt(byte[] s, int at) {
        return ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    private static byte[] putInt(byte[] s, int at, int v) {
        ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN).putInt(at, v);
        return s;
    }

    private static byte[] set(byte[] s, int at, byte v) {
        s[at] = v;
        return s;
    }

    private record Verdict(int rc, String output) {
    }

    private static Verdict verify(byte[] s) throws Exception {
        Path f = Files.createTempFile(tmp, "stream", ".xl");
        Files.write(f, s);
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(List.of("python3", VERIFIER.toString(), "-v", "-f", "xl", "-i", f.toString())))
                .redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", "/usr/lib/xen-4.17/lib/python");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Files.delete(f);
        return new Verdict(p.exitValue(), output);
    }
}
