package io.xmig.dataplane.hypervisor;

import java.util.Map;
import java.util.Objects;

/**
 * The HVM platform state a Xen migration stream carries besides memory and the HVM context: the non-zero migrated
 * HVM parameters ({@code HVM_PARAMS} record), in the stock sender's order, and the TSC settings
 * ({@code X86_TSC_INFO} record). Read from a paused or suspended domain by {@link Hypervisor#hvmPlatformState}.
 * Immutable.
 *
 * @param params      HVM parameter index to value, non-zero values only, iteration order = stream order
 * @param tscMode     {@code XEN_CPUID_TSC_MODE_*}
 * @param elapsedNsec guest elapsed time, nanoseconds
 * @param gtscKhz     guest TSC frequency, kHz
 * @param incarnation times the guest's TSC was migrated
 */
public record HvmPlatformState(Map<Integer, Long> params, int tscMode, long elapsedNsec, int gtscKhz, int incarnation) {
    public HvmPlatformState {
        Objects.requireNonNull(params, "params");
    }
}
