package io.xmig.dataplane.hypervisor;

/**
 * A simulated domain's workload counters ({@code struct xmigsim_counters}): what the guest did, measured inside it.
 * {@code readSum} folds every value the workload read from guest memory, so two runs that read the same bytes in
 * the same order have the same sum.
 */
public record SimCounters(long writes, long steps, long requests, long runNs, long cpuNs, long maxStallNs,
                          long faults, long pagesPresent, long wpFaults, long readSum, int vcpus, State state) {

    public enum State { RUNNING, PAUSED, HALTED }
}
