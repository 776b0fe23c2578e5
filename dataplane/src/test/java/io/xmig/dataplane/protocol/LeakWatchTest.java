package io.xmig.dataplane.protocol;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The other tests' "no leaks" checks are not vacuous: a buffer dropped without release is reported by
 * {@link LeakWatch}. (This test leaks one 8-byte buffer on purpose; Netty logs it as a LEAK error.)
 */
class LeakWatchTest {
    @Test
    void aBufferDroppedWithoutReleaseIsReported() {
        LeakWatch.drain(1);
        leakOne();
        List<String> leaks = new ArrayList<>();
        for (int i = 0; i < 50 && leaks.isEmpty(); i++) leaks.addAll(LeakWatch.drain(1));
        assertThat(leaks).singleElement().asString().contains("leakOne");
    }

    private static void leakOne() {
        ByteBufAllocator.DEFAULT.directBuffer(8).writeLong(0xdeadbeefL);   // dropped on purpose
    }
}
