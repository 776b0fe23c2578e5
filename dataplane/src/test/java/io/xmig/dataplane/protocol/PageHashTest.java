package io.xmig.dataplane.protocol;

import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PageHash} is XXH64 with seed 0, bit for bit, and hashes a page without allocating. */
class PageHashTest {
    @Test
    void matchesTheReferenceTestVectors() {
        assertThat(PageHash.hash(MemorySegment.ofArray(new byte[0]))).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(PageHash.hash(MemorySegment.ofArray("a".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(PageHash.hash(MemorySegment.ofArray("abc".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(0x44BC2CF5AD770999L);
    }

    @Test
    void agreesWithLz4JavasXxHash64OnEveryLengthAndOnPages() {
        var reference = XXHashFactory.safeInstance().hash64();
        Random random = new Random(7);
        for (int len = 0; len <= 300; len++) {
            byte[] b = new byte[len];
            random.nextBytes(b);
            assertThat(PageHash.hash(MemorySegment.ofArray(b))).as("length %d", len).isEqualTo(reference.hash(b, 0, len, 0));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment page = arena.allocate(Protocol.PAGE_SIZE);
            for (int i = 0; i < 50; i++) {
                byte[] b = new byte[Protocol.PAGE_SIZE];
                if (i > 0) random.nextBytes(b);                      // page 0: the zero page
                MemorySegment.copy(MemorySegment.ofArray(b), 0, page, 0, b.length);
                assertThat(PageHash.hash(page)).isEqualTo(reference.hash(page.asByteBuffer(), 0, b.length, 0));
            }
        }
    }

    @Test
    void hashingPagesAllocatesNothing() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pages = arena.allocate(64L * Protocol.PAGE_SIZE);
            long sink = 0;
            for (int i = 0; i < 20_000; i++) sink += PageHash.hash(pages, (i % 64L) * Protocol.PAGE_SIZE, Protocol.PAGE_SIZE, 0);
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) sink += PageHash.hash(pages, (i % 64L) * Protocol.PAGE_SIZE, Protocol.PAGE_SIZE, 0);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(sink).isNotEqualTo(1);
            assertThat((double) allocated / 100_000).as("bytes allocated per hashed page").isLessThan(1.0);
        }
    }
}
