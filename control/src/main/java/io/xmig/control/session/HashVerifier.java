package io.xmig.control.session;

import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageMapping;
import io.xmig.dataplane.protocol.Frame;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.PageHash;
import io.xmig.dataplane.protocol.Protocol;
import io.xmig.dataplane.protocol.VerifyHashes;
import io.xmig.dataplane.protocol.VerifyRequest;
import io.xmig.dataplane.transport.SourceTransport;

import java.time.Duration;

/**
 * Two processes: the destination hashes its pages (XXH64) on request over the control channel, and the source
 * compares them with the hashes of its own paused memory. A differing page is reported by number.
 */
public final class HashVerifier implements Verifier {
    private final GuestMemory source;
    private final SourceTransport transport;
    private final Duration timeout;

    public HashVerifier(GuestMemory source, SourceTransport transport, Duration timeout) {
        this.source = source;
        this.transport = transport;
        this.timeout = timeout;
    }

    @Override
    public String method() {
        return "xxh64";
    }

    @Override
    public Result verify(long guestPages, io.xmig.dataplane.hypervisor.PageBitmap skip) throws InterruptedException {
        long differing = 0, first = -1, checked = 0;
        for (long p = 0; p < guestPages; p += Protocol.MAX_VERIFY_PAGES) {
            int n = (int) Math.min(Protocol.MAX_VERIFY_PAGES, guestPages - p);
            long firstPfn = p;
            transport.sendControl(b -> new VerifyRequest(firstPfn, n).encode(b));
            VerifyHashes theirs;
            Frame f = transport.awaitControl(timeout);
            try {
                if (f.type() != FrameType.VERIFY_HASHES) throw new MigrationFailedException("expected VERIFY_HASHES, got " + f.type());
                theirs = VerifyHashes.decode(f.body());
            } finally {
                f.release();
            }
            if (theirs.firstPfn() != p || theirs.hashes().length != n) {
                throw new MigrationFailedException("VERIFY_HASHES for pages " + theirs.firstPfn() + "+" + theirs.hashes().length
                        + ", asked for " + p + "+" + n);
            }
            for (int done = 0; done < n; done += 1024) {
                int k = Math.min(1024, n - done);
                try (PageMapping m = source.mapRun(p + done, k, false)) {
                    for (int i = 0; i < k; i++) {
                        if (skip != null && skip.get(p + done + i)) continue;
                        checked++;
                        if (PageHash.hash(m.page(i)) != theirs.hashes()[done + i]) {
                            if (first < 0) first = p + done + i;
                            differing++;
                        }
                    }
                }
            }
        }
        return new Result(checked, differing, first);
    }
}
