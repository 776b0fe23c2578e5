package io.xmig.control.session;

import io.xmig.control.policy.SwitchPolicy;

import java.time.Duration;

/**
 * How one migration runs: the switch policy, the bulk channels, the bandwidth cap over all of them (0 = unlimited),
 * whether the destination's memory is verified before it resumes, and how long to wait for the peer.
 */
public record MigrationOptions(SwitchPolicy policy, String policySpec, int channels, long bandwidthBytesPerSecond,
                               boolean verify, Duration peerTimeout) {
    public MigrationOptions {
        if (channels < 1 || channels > 64) throw new IllegalArgumentException("channels must be 1..64, not " + channels);
        if (bandwidthBytesPerSecond < 0) throw new IllegalArgumentException("bandwidth must be >= 0");
    }
}
