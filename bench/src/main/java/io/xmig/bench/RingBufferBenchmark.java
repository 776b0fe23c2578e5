package io.xmig.bench;

import io.xmig.dataplane.pagepath.PageRuns;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Control;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * The scanner → sender hand-off on its own: one Agrona {@link OneToOneRingBuffer} of 256 KiB (the size
 * {@code PagePipeline} gives each channel), one producer thread and one consumer thread (a JMH group of two),
 * carrying {@link PageRuns#MSG_RUNS} messages of {@link PageRuns#MAX_RUNS_PER_MESSAGE} = 64 runs (1,024 bytes), the
 * batches {@code DirtyScanner} writes.
 *
 * <p>{@link #produce}: one {@code ring.write} of a batch; while the ring is full it spins ({@code Thread.onSpinWait})
 * until there is room. The batch is a staging buffer filled once like the scanner's (first pfn, 256 pages, 0), except
 * that the first run's pfn is a sequence number, bumped per message. {@link #consume}: one
 * {@code ring.read(handler, 16)} (the limit {@code SenderAgent} uses per duty cycle), spinning while the ring is
 * empty; the handler reads every run's pfn and page count, as {@code SenderAgent.onMessage} does before it maps the
 * run, and checks the sequence numbers arrive in order (a broken hand-off fails the run). The consumer's
 * {@code batches} counter (messages read, JMH aux counter, per second) is the figure to quote; runs/s is 64 × that.
 * Both spin when they cannot make progress, so this is the ring's raw capacity on this machine, not the page path's
 * idle behaviour (the real scanner and sender back off with a {@code BackoffIdleStrategy}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Group)
@Fork(3)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class RingBufferBenchmark {
    static final int RING_BYTES = 256 * 1024;               // PagePipeline.RING_BYTES
    static final int BATCH_BYTES = PageRuns.MAX_RUNS_PER_MESSAGE * PageRuns.RUN_BYTES;

    private OneToOneRingBuffer ring;

    @State(Scope.Thread)
    public static class Producer {
        final UnsafeBuffer batch = new UnsafeBuffer(ByteBuffer.allocateDirect(BATCH_BYTES));
        long seq;

        @Setup(Level.Trial)
        public void fill() {
            for (int i = 0; i < PageRuns.MAX_RUNS_PER_MESSAGE; i++) {
                int off = i * PageRuns.RUN_BYTES;
                batch.putLong(off, (long) i * PageRuns.MAX_RUN_PAGES);
                batch.putInt(off + 8, PageRuns.MAX_RUN_PAGES);
                batch.putInt(off + 12, 0);
            }
        }
    }

    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Consumer implements MessageHandler {
        /** Messages (64-run batches) read. */
        public long batches;
        long expected;
        long sink;

        @Override
        public void onMessage(int msgTypeId, MutableDirectBuffer buffer, int offset, int length) {
            if (msgTypeId != PageRuns.MSG_RUNS || length != BATCH_BYTES || buffer.getLong(offset) != expected) {
                throw new IllegalStateException("ring delivered message type " + msgTypeId + ", " + length + " bytes, seq "
                        + buffer.getLong(offset) + " where " + expected + " was due");
            }
            expected++;
            long s = 0;
            for (int at = offset; at < offset + length; at += PageRuns.RUN_BYTES) {
                s += buffer.getLong(at) + buffer.getInt(at + 8);
            }
            sink += s;
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        BenchSupport.reportJvmFlags();
        ring = new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    @Benchmark
    @Group("ring")
    @GroupThreads(1)
    public boolean produce(Producer p, Control control) {
        p.batch.putLong(0, p.seq);
        while (!ring.write(PageRuns.MSG_RUNS, p.batch, 0, BATCH_BYTES)) {
            if (control.stopMeasurement) return false;
            Thread.onSpinWait();
        }
        p.seq++;
        return true;
    }

    @Benchmark
    @Group("ring")
    @GroupThreads(1)
    public long consume(Consumer c, Control control) {
        int n;
        while ((n = ring.read(c, 16)) == 0) {
            if (control.stopMeasurement) return c.sink;
            Thread.onSpinWait();
        }
        c.batches += n;
        return c.sink;
    }
}
