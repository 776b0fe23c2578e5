package io.xmig.control.session;

import io.xmig.control.policy.SwitchPolicy;

import java.time.Duration;

/**
 * How one migration runs: the switch policy, the bulk channels, the bandwidth cap over all of them (0 = unlimited),
 * whether the destination's memory is verified before it resumes, how long to wait for the peer, and how long a
 * post-copy migration whose connection broke keeps trying to reconnect (the guest then runs at the destination and the
 * source holds the pages it still misses; docs/FAILURES.md).
 */
public record MigrationOptions(SwitchPolicy policy, String policySpec, int channels, long bandwidthBytesPerSecond,
                               boolean verify, Duration peerTimeout, Duration reconnectTimeout) {
    /** How long a post-copy source waits for the connection to come back unless told otherwise. */
    public static final Duration DEFAULT_RECONNECT = Duration.ofSeconds(10);

    public MigrationOptions {
        if (channels < 1 || channels > 64) throw new IllegalArgumentException("channels must be 1..64, not " + channels);
        if (bandwidthBytesPerSecond < 0) throw new IllegalArgumentException("bandwidth must be >= 0");
        if (reconnectTimeout.isNegative()) throw new IllegalArgumentException("reconnect timeout must be >= 0");
    }

    public MigrationOptions(SwitchPolicy policy, String policySpec, int channels, long bandwidthBytesPerSecond,
                            boolean verify, Duration peerTimeout) {
        this(policy, policySpec, channels, bandwidthBytesPerSecond, verify, peerTimeout, DEFAULT_RECONNECT);
    }
}
