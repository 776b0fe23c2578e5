package io.xmig.control.policy;

/**
 * The predictor's view of the near future, as a policy receives it. A placeholder: {@link RoundStats#forecast()} is
 * empty until the predictor issue fills this in (and may add fields to it).
 *
 * @param dirtyPagesPerSecond pages the guest is expected to dirty per second over the horizon
 * @param cpuUtilization      expected guest CPU utilisation over the horizon, 0..1 per vCPU summed
 * @param horizonNanos        how far ahead the forecast looks
 */
public record Forecast(double dirtyPagesPerSecond, double cpuUtilization, long horizonNanos) {
}
