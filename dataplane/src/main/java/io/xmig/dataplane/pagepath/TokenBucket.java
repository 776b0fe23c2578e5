package io.xmig.dataplane.pagepath;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The bandwidth cap over all bulk channels: a token bucket of {@code burstBytes} that refills at
 * {@code bytesPerSecond}. A sender asks before it writes a frame and, if refused, sleeps for the time it is told.
 *
 * <p><b>Algorithm (virtual time).</b> The bucket is not a token count but one instant, {@code full}: the time at which
 * the bucket will be full again, given everything granted so far. Each byte costs {@code 1e9 / bytesPerSecond}
 * nanoseconds. At time {@code now} the bucket owes {@code debt = full - now} nanoseconds of tokens (none if
 * {@code full} is in the past: the bucket is full, and tokens beyond the burst were never kept). A request of
 * {@code n} bytes with cost {@code c} is granted when the debt after it, {@code max(debt, 0) + c}, still fits in the
 * bucket ({@code <= burstBytes} worth of nanoseconds); granting moves {@code full} to {@code max(full, now) + c}.
 * A request larger than the whole burst is granted when the bucket is full, and its debt pushes the next grant out
 * by the time the excess takes to drain, so the long-run rate still holds. A refused request takes nothing and is told
 * how long until it would fit: {@code debt + c - burst} (or {@code debt} for an oversized one). Over any interval of
 * length {@code T} the bytes granted are at most {@code burstBytes + bytesPerSecond × T} (plus one oversized request).
 *
 * <p><b>Reservations (what the senders use).</b> {@link #reserve} grants at once and returns how long the caller must
 * wait before sending: the same arithmetic, but the tokens are taken when asked for, so the waits are handed out in
 * arrival order. With {@link #tryAcquire} every refused sender sleeps and they all wake to race for the next tokens:
 * whoever the scheduler wakes first keeps winning, and migrations sharing one cap got 0.86-4.3 × their fair share
 * (docs/RELIABILITY.md). With reservations each sender queues behind those that asked before it.
 *
 * <p><b>Threading.</b> Any number of sender threads call {@link #tryAcquire} and {@link #reserve} concurrently. It is lock-free: one
 * {@link AtomicLong} holds {@code full}, updated by compare-and-set in a retry loop; a thread that loses the race
 * re-reads the clock and tries again. It never blocks and allocates nothing. An unlimited bucket touches no shared
 * state at all.
 */
public final class TokenBucket {
    private static final TokenBucket UNLIMITED = new TokenBucket(0, 0);
    /** Largest byte count whose cost is computed exactly in long arithmetic (bytes × 1e9 must not overflow). */
    private static final long EXACT_COST_LIMIT = Long.MAX_VALUE / 1_000_000_000L;
    /** Costs saturate here (about 146 years), so instants never overflow. */
    private static final long MAX_COST_NANOS = Long.MAX_VALUE / 2;

    private final long bytesPerSecond;
    private final long burstBytes;
    private final long burstNanos;
    private final LongSupplier clock;
    /** The instant (clock nanoseconds) at which the bucket is full again. */
    private final AtomicLong full;

    /**
     * @param bytesPerSecond the rate; 0 or less means unlimited
     * @param burstBytes     the bucket's size: bytes that may go at once after an idle spell; must be positive when
     *                       the rate is limited (ignored when unlimited)
     */
    public TokenBucket(long bytesPerSecond, long burstBytes) {
        this(bytesPerSecond, burstBytes, System::nanoTime);
    }

    /** With a clock of its own, for tests; {@code clock} returns nanoseconds as {@link System#nanoTime()} does. */
    TokenBucket(long bytesPerSecond, long burstBytes, LongSupplier clock) {
        this.clock = clock;
        if (bytesPerSecond <= 0) {
            this.bytesPerSecond = 0;
            this.burstBytes = 0;
            this.burstNanos = 0;
            this.full = new AtomicLong();
            return;
        }
        if (burstBytes <= 0) {
            throw new IllegalArgumentException("burstBytes must be > 0 for a limited bucket, not " + burstBytes);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burstBytes = burstBytes;
        this.burstNanos = costNanos(burstBytes, bytesPerSecond);
        this.full = new AtomicLong(clock.getAsLong());   // starts full
    }

    /** A bucket that grants everything at once. */
    public static TokenBucket unlimited() {
        return UNLIMITED;
    }

    /**
     * Takes {@code bytes} tokens if the bucket has them.
     *
     * @return 0 if granted (the tokens are taken); otherwise the nanoseconds to wait before asking again (always
     *         positive; nothing was taken)
     */
    public long tryAcquire(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0, not " + bytes);
        if (bytesPerSecond == 0 || bytes == 0) return 0;
        final long cost = costNanos(bytes, bytesPerSecond);
        while (true) {
            final long now = clock.getAsLong();
            final long f = full.get();
            final long debt = f - now;
            if (debt <= 0) {
                // Full: any request fits, even one larger than the burst (its debt delays whoever comes next).
                if (full.compareAndSet(f, now + cost)) return 0;
                continue;
            }
            if (cost > burstNanos) return debt;                 // oversized: wait until full
            final long after = debt + cost;
            if (after > burstNanos) return after - burstNanos;  // > 0
            if (full.compareAndSet(f, f + cost)) return 0;
        }
    }

    /**
     * Takes {@code bytes} tokens now, in arrival order, even ahead of the refill.
     *
     * @return the nanoseconds the caller must wait before sending them (0: at once): until the grant fits in the
     *         bucket, exactly when {@link #tryAcquire} would have granted it had nobody asked in between
     */
    public long reserve(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("bytes must be >= 0, not " + bytes);
        if (bytesPerSecond == 0 || bytes == 0) return 0;
        final long cost = costNanos(bytes, bytesPerSecond);
        while (true) {
            final long now = clock.getAsLong();
            final long f = full.get();
            final long start = Math.max(f, now);
            if (full.compareAndSet(f, start + cost)) {
                // oversized: sent when the bucket is full; otherwise when the debt after it fits in the burst
                return Math.max(0, cost > burstNanos ? start - now : start + cost - burstNanos - now);
            }
        }
    }

    /**
     * Whether this bucket grants everything at once. (Not {@code unlimited()}: Java cannot have that name for both
     * this query and the static factory {@link #unlimited()}.)
     */
    public boolean isUnlimited() {
        return bytesPerSecond == 0;
    }

    /** The rate, or 0 when unlimited. */
    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** The bucket's size in bytes, or 0 when unlimited. */
    public long burstBytes() {
        return burstBytes;
    }

    /** Nanoseconds that {@code bytes} take at {@code rate} bytes/s, rounded up, so grants never exceed the rate. */
    private static long costNanos(long bytes, long rate) {
        if (bytes <= EXACT_COST_LIMIT) {
            long scaled = bytes * 1_000_000_000L;
            long cost = scaled / rate + (scaled % rate == 0 ? 0 : 1);
            return Math.min(cost, MAX_COST_NANOS);
        }
        return (long) Math.min(Math.ceil(bytes * 1e9 / rate), (double) MAX_COST_NANOS);
    }

    @Override
    public String toString() {
        return isUnlimited() ? "TokenBucket[unlimited]" : "TokenBucket[" + bytesPerSecond + " B/s, burst " + burstBytes + " B]";
    }
}
