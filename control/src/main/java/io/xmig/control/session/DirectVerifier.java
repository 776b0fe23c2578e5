package io.xmig.control.session;

import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.PageMapping;

import java.util.function.IntSupplier;

/**
 * Local mode: both domains live in this process, so their pages are compared byte for byte through foreign mappings.
 * The destination's domain id is looked up when verification starts (it exists once the destination is READY).
 */
public final class DirectVerifier implements Verifier {
    private static final int CHUNK = 1024;
    private final io.xmig.dataplane.hypervisor.Hypervisor hv;
    private final int source;
    private final IntSupplier destination;

    public DirectVerifier(io.xmig.dataplane.hypervisor.Hypervisor hv, int source, IntSupplier destination) {
        this.hv = hv;
        this.source = source;
        this.destination = destination;
    }

    @Override
    public String method() {
        return "direct";
    }

    @Override
    public Result verify(long guestPages, io.xmig.dataplane.hypervisor.PageBitmap skip) {
        GuestMemory a = hv.memory(source), b = hv.memory(destination.getAsInt());
        long differing = 0, first = -1, checked = 0;
        for (long p = 0; p < guestPages; p += CHUNK) {
            int n = (int) Math.min(CHUNK, guestPages - p);
            try (PageMapping x = a.mapRun(p, n, false); PageMapping y = b.mapRun(p, n, false)) {
                for (int i = 0; i < n; i++) {
                    if (skip != null && skip.get(p + i)) continue;
                    checked++;
                    if (x.page(i).mismatch(y.page(i)) >= 0) {
                        if (first < 0) first = p + i;
                        differing++;
                    }
                }
            }
        }
        return new Result(checked, differing, first);
    }
}
