package io.xmig.control.session;

import io.xmig.control.policy.SwitchPolicy;
import io.xmig.dataplane.heat.ResendRule;
import io.xmig.dataplane.pagepath.Compression;
import io.xmig.dataplane.pagepath.TokenBucket;

import java.time.Duration;

/**
 * How one migration runs: the switch policy, the bulk channels, the bandwidth cap over all of them (0 = unlimited),
 * whether the destination's memory is verified before it resumes, how long to wait for the peer, and how long a
 * post-copy migration whose connection broke keeps trying to reconnect (the guest then runs at the destination and the
 * source holds the pages it still misses; docs/FAILURES.md), which pages a round holds back ({@link ResendRule}:
 * none, Xen's skip rule, or deferral of the hot cluster) and whether PAGES frames are LZ4-compressed.
 * {@code sharedCap}, when not null, is a cap this migration shares with others of the same process (one
 * {@link TokenBucket} given to all of them, see {@link #sharedCap(long)}); it replaces {@code bandwidthBytesPerSecond},
 * which should then say its rate. Immutable.
 */
public record MigrationOptions(SwitchPolicy policy, String policySpec, int channels, long bandwidthBytesPerSecond,
                               boolean verify, Duration peerTimeout, Duration reconnectTimeout, ResendRule resend,
                               Compression compression, TokenBucket sharedCap) {
    /** How long a post-copy source waits for the connection to come back unless told otherwise. */
    public static final Duration DEFAULT_RECONNECT = Duration.ofSeconds(10);

    public MigrationOptions {
        if (channels < 1 || channels > 64) throw new IllegalArgumentException("channels must be 1..64, not " + channels);
        if (bandwidthBytesPerSecond < 0) throw new IllegalArgumentException("bandwidth must be >= 0");
        if (reconnectTimeout.isNegative()) throw new IllegalArgumentException("reconnect timeout must be >= 0");
        java.util.Objects.requireNonNull(resend, "resend");
        java.util.Objects.requireNonNull(compression, "compression");
    }

    /** No deferral, no compression, a cap shared with other migrations ({@code null}: its own). */
    public MigrationOptions(SwitchPolicy policy, String policySpec, int channels, long bandwidthBytesPerSecond,
                            boolean verify, Duration peerTimeout, Duration reconnectTimeout, TokenBucket sharedCap) {
        this(policy, policySpec, channels, bandwidthBytesPerSecond, verify, peerTimeout, reconnectTimeout,
                ResendRule.NONE, Compression.OFF, sharedCap);
    }

    /** No deferral, no compression, its own cap. */
    public MigrationOptions(SwitchPolicy policy, String policySpec, int channels, long bandwidthBytesPerSecond,
                            boolean verify, Duration peerTimeout, Duration reconnectTimeout) {
        this(policy, policySpec, channels, bandwidthBytesPerSecond, verify, peerTimeout, reconnectTimeout, null);
    }

    public MigrationOptions(SwitchPolicy policy, String policySpec, int channels, long bandwidthBytesPerSecond,
                            boolean verify, Duration peerTimeout) {
        this(policy, policySpec, channels, bandwidthBytesPerSecond, verify, peerTimeout, DEFAULT_RECONNECT);
    }

    /** These options with {@code resend} and {@code compression}. */
    public MigrationOptions with(ResendRule resend, Compression compression) {
        return new MigrationOptions(policy, policySpec, channels, bandwidthBytesPerSecond, verify, peerTimeout,
                reconnectTimeout, resend, compression, sharedCap);
    }

    /** A cap of {@code bytesPerSecond} for several migrations together, with the burst one migration would have. */
    public static TokenBucket sharedCap(long bytesPerSecond) {
        return new TokenBucket(bytesPerSecond, Math.max(256 * 1024, bytesPerSecond / 50));
    }

    /** The bucket this migration's senders draw from: the shared cap, or one of its own for its bandwidth. */
    public TokenBucket bandwidthBucket() {
        if (sharedCap != null) return sharedCap;
        return bandwidthBytesPerSecond > 0 ? sharedCap(bandwidthBytesPerSecond) : TokenBucket.unlimited();
    }
}
