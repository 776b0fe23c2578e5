package io.xmig.dataplane.postcopy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.PageBitmap;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.dataplane.protocol.ErrorCode;
import io.xmig.dataplane.protocol.ErrorFrame;
import io.xmig.dataplane.protocol.FaultRequest;
import io.xmig.dataplane.protocol.Frame;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.LeakWatch;
import io.xmig.dataplane.protocol.PagesFrameReader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The source's fault server answers each requested page at once with its still-missing neighbours (pre-paging, the
 * window growing on a forward walk), and refuses a bad request with an ERROR naming it while still serving the good
 * pages: one bad request stalls no vCPU.
 */
class FaultServerTest {
    private static final long PAGES = 4096;
    private final XenHypervisor hv = XenHypervisor.open();
    private final GuestSimulator sim = hv.simulator().orElseThrow();
    private final int domid = sim.createDomain(PAGES, "idle", 1, GuestSimulator.CreateFlag.PAUSED);
    private final Arena arena = Arena.ofConfined();
    private final PageBitmap stale = PageBitmap.allocate(arena, PAGES);
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final FaultServer server = new FaultServer(hv.memory(domid), stale, channel, 1);

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
        arena.close();
        sim.destroy(domid);
        hv.close();
    }

    @AfterAll
    static void noLeaks() {
        LeakWatch.assertNoLeaks();
    }

    private void request(long... pfns) {
        ByteBuf b = Unpooled.buffer();
        FaultRequest.encode(b, pfns, pfns.length);
        b.skipBytes(8);                                           // the body follows the 8-byte header
        server.accept(new Frame(FrameType.FAULT_REQUEST, b));
    }

    /** Outbound frames as (type, first pfn, pages) or (ERROR, code ordinal, -1). */
    private List<long[]> answers() {
        List<long[]> out = new ArrayList<>();
        PagesFrameReader reader = new PagesFrameReader(PAGES, 4096);
        for (ByteBuf b; (b = channel.readOutbound()) != null; ) {
            try {
                int type = b.getUnsignedByte(4);
                ByteBuf body = b.slice(8, b.readableBytes() - 8);
                if (type == FrameType.ERROR.code()) {
                    ErrorFrame e = ErrorFrame.decode(body);
                    assertThat(e.message()).contains("beyond the guest");
                    out.add(new long[]{type, e.code().ordinal(), -1});
                } else {
                    reader.wrap(body);
                    long first = -1, n = 0;
                    while (reader.nextRun()) { if (first < 0) first = reader.firstPfn(); n += reader.pages(); }
                    out.add(new long[]{type, first, n});
                }
            } finally {
                b.release();
            }
        }
        return out;
    }

    @Test
    void aBadPageIsRefusedWhileTheOthersAreServed() {
        stale.setAll();
        request(100, PAGES + 7, 3000);
        List<long[]> a = answers();
        assertThat(a).hasSize(3);
        assertThat(a.get(0)).containsExactly(FrameType.PAGES.code(), 100, 8);     // initial window of 8
        assertThat(a.get(1)).containsExactly(FrameType.ERROR.code(), ErrorCode.PAGE_OUT_OF_RANGE.ordinal(), -1);
        assertThat(a.get(2)[0]).isEqualTo(FrameType.PAGES.code());
        assertThat(a.get(2)[1]).isEqualTo(3000);
        assertThat(channel.isOpen()).as("the fault connection stays up").isTrue();
        assertThat(server.refused()).isEqualTo(1);
        assertThat(server.faults()).isEqualTo(2);
    }

    @Test
    void preFetchedPagesLeaveTheSetAndAForwardWalkWidensTheWindow() {
        stale.setAll();
        request(0);
        request(8);                                              // just past the first window: the guest walks forward
        request(24);
        List<long[]> a = answers();
        assertThat(a).extracting(x -> x[2]).containsExactly(8L, 16L, 32L);
        assertThat(stale.nextSetBit(0)).as("everything sent is no longer missing").isEqualTo(56);
        request(2000);                                           // far away: the window halves again
        assertThat(answers().getFirst()[2]).isEqualTo(16);
        request(3);                                              // already sent: answered alone
        assertThat(answers().getFirst()[2]).isEqualTo(1);
    }
}
