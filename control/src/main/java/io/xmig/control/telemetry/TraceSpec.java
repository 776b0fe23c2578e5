package io.xmig.control.telemetry;

import java.util.Map;

/**
 * One trace to record: a workload family and seed, the simulated guest that runs it, and, for the families replayed
 * from a generated rate curve, that curve (docs/WORKLOADS.md, {@code trace:} workload).
 *
 * @param family     workload family (the dataset split's unit)
 * @param seed       draws the parameters and seeds the guest
 * @param memoryMiB  guest memory
 * @param workload   the workload spec; {@value #REPLAY_FILE} stands for the replay file's path, filled in when written
 * @param replay     {@code time,rate,util} lines, one per second, or null
 * @param parameters the drawn parameters, for the CSV's comment lines
 */
public record TraceSpec(String family, long seed, long memoryMiB, String workload, String replay, Map<String, String> parameters) {
    public static final String REPLAY_FILE = "{replay}";

    public String name() {
        return String.format("%s-s%04d", family, seed);
    }
}
