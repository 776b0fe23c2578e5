package io.xmig.dataplane.pagepath;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.xmig.dataplane.protocol.FrameType;
import io.xmig.dataplane.protocol.Protocol;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * One sender's LZ4 stage: turns a finished PAGES frame into a PAGES_LZ4 frame ({@code u32 raw_length · u32 xxh32 of
 * the PAGES body · the LZ4 block of the PAGES body}, docs/PROTOCOL.md) when that pays, and decides, frame by frame, whether it pays.
 *
 * <p>{@link Compression#AUTO}: a frame is compressed only when (1) the link is the bottleneck: the sender spent at
 * least half of its recent time waiting for tokens or for the socket ({@link #waited}); (2) a core is free: the
 * system's recent CPU load leaves at least one core idle; (3) the measured ratio r (compressed / raw) and speed s
 * (raw bytes per second of this thread's CPU) say that compressing is faster than sending the saving:
 * {@code s × (1 − r) > link rate}, i.e. the time to compress a byte is less than the wire time it saves. While plain,
 * every {@link #PROBE_EVERY}th frame is compressed as a probe (sent compressed if it shrank) so r and s follow the
 * content. Zero pages never reach here as data: they are run flags in the body.
 *
 * <p>Touched only by its sender's thread; counters are read by the session after a round. Allocates one pooled
 * buffer per compressed frame and nothing per page.
 */
public final class FrameCompressor {
    /** While plain and link-bound, compress one frame in this many to keep the ratio and speed measured. */
    static final int PROBE_EVERY = 16;
    private static final double ALPHA = 0.2;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Compression mode;
    private final LZ4Compressor lz4 = LZ4Factory.fastestInstance().fastCompressor();
    private final XXHash32 xxh32 = XXHashFactory.fastestInstance().hash32();
    private final ByteBufAllocator alloc;
    private final int bufferBytes;
    private double ratio = 1, speed, waitShare, linkRate;
    private long frames, samples, periods;
    private boolean compressing;

    private volatile long framesCompressed, rawBytes, compressedBytes, cpuNanos;

    FrameCompressor(Compression mode, ByteBufAllocator alloc, int bufferBytes) {
        this.mode = mode;
        this.alloc = alloc;
        this.bufferBytes = bufferBytes;
    }

    /**
     * What was measured about the last frame sent: its size, the nanoseconds spent waiting for tokens and the socket,
     * and the nanoseconds since the previous frame went out.
     */
    void waited(int bytes, long waitNanos, long periodNanos) {
        if (periodNanos <= 0) return;
        waitShare = ewma(waitShare, Math.min(1.0, (double) waitNanos / periodNanos), periods);
        linkRate = ewma(linkRate, bytes * 1e9 / periodNanos, periods++);
    }

    /**
     * The frame to send for the finished PAGES frame {@code plain}: {@code plain} itself, or a PAGES_LZ4 frame (then
     * {@code plain} is released).
     */
    ByteBuf maybeCompress(ByteBuf plain) {
        if (mode == Compression.OFF) return plain;
        frames++;
        boolean attempt = mode == Compression.ON || compressing
                || (waitShare >= 0.5 && CpuLoad.coreFree() && frames % PROBE_EVERY == 0);
        if (!attempt) return plain;
        ByteBuf out = compress(plain);
        if (mode == Compression.AUTO) {
            compressing = waitShare >= 0.5 && CpuLoad.coreFree() && speed * (1 - ratio) > linkRate;
            if (!compressing && out != plain) waitShare = 0;   // re-measure the link plain before trying again
        }
        return out;
    }

    private ByteBuf compress(ByteBuf plain) {
        int bodyAt = plain.readerIndex() + Protocol.HEADER_BYTES;
        int raw = plain.writerIndex() - bodyAt;
        ByteBuf out = alloc.directBuffer(bufferBytes, bufferBytes);
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        int packed;
        try {
            int max = Math.min(raw - 1, bufferBytes - Protocol.HEADER_BYTES - Protocol.PAGES_LZ4_FIXED_BYTES);
            packed = lz4.compress(plain.nioBuffer(bodyAt, raw), 0, raw,
                    out.nioBuffer(Protocol.HEADER_BYTES + Protocol.PAGES_LZ4_FIXED_BYTES, max), 0, max);
        } catch (LZ4Exception incompressible) {
            packed = -1;                                   // it would not shrink below the plain body
        }
        long cpu = Math.max(1, THREADS.getCurrentThreadCpuTime() - cpu0);
        cpuNanos += cpu;
        speed = ewma(speed, raw * 1e9 / cpu, samples);
        ratio = ewma(ratio, packed < 0 ? 1.0 : (double) packed / raw, samples++);
        if (packed < 0) {
            out.release();
            return plain;
        }
        int sum = xxh32.hash(plain.nioBuffer(bodyAt, raw), 0, raw, Protocol.PAGES_LZ4_SEED);
        out.writerIndex(0);
        out.writeInt(Protocol.LENGTH_COUNTED_HEADER_BYTES + Protocol.PAGES_LZ4_FIXED_BYTES + packed);
        out.writeByte(FrameType.PAGES_LZ4.code());
        out.writeByte(0);
        out.writeShort(0);
        out.writeInt(raw);
        out.writeInt(sum);
        out.writerIndex(Protocol.HEADER_BYTES + Protocol.PAGES_LZ4_FIXED_BYTES + packed);
        framesCompressed++;
        rawBytes += raw;
        compressedBytes += packed + Protocol.PAGES_LZ4_FIXED_BYTES;
        plain.release();
        return out;
    }

    private static double ewma(double old, double sample, long before) {
        return before == 0 ? sample : old + ALPHA * (sample - old);
    }

    public long framesCompressed() { return framesCompressed; }
    /** PAGES body bytes that went out compressed, before compression. */
    public long rawBytes() { return rawBytes; }
    /** Their size on the wire as PAGES_LZ4 bodies. */
    public long compressedBytes() { return compressedBytes; }
    /** CPU time this sender spent compressing (including probes that did not shrink). */
    public long cpuNanos() { return cpuNanos; }
}
