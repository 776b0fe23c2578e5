package io.xmig.predictor.dataset;

import io.xmig.predictor.telemetry.TelemetryTrace;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which part of the dataset a trace belongs to, decided by its workload family and seed only, never by its content
 * (docs/FORECAST.md, "Split rule"):
 * <ol>
 *   <li>a family in {@link #heldOutFamilies()} is held out whole: no seed of it is trained or validated on;</li>
 *   <li>otherwise {@code seed mod 4 == 0} is held out, {@code seed mod 4 == 1} is validation, the rest is training.</li>
 * </ol>
 * The seed draws a trace's workload parameters (rates, phase lengths, burst schedule, ...) as well as the guest's
 * RNG, so a held-out seed is a parameter draw the model never saw, and a held-out family a pattern it never saw.
 */
public record SplitRule(Set<String> heldOutFamilies) {
    /** The rule the shipped dataset uses: {@code sawtooth} (slow ramps with sudden drops) is only ever held out. */
    public static final SplitRule DEFAULT = new SplitRule(Set.of("sawtooth"));

    public SplitRule {
        heldOutFamilies = Set.copyOf(heldOutFamilies);
    }

    public Split of(String family, long seed) {
        if (heldOutFamilies.contains(family)) return Split.HELD_OUT;
        return switch ((int) Math.floorMod(seed, 4L)) {
            case 0 -> Split.HELD_OUT;
            case 1 -> Split.VALIDATION;
            default -> Split.TRAIN;
        };
    }

    public Split of(TelemetryTrace trace) {
        return of(trace.family(), trace.seed());
    }

    /** The traces grouped by part (every part present, maybe empty). */
    public Map<Split, List<TelemetryTrace>> partition(List<TelemetryTrace> traces) {
        Map<Split, List<TelemetryTrace>> m = new EnumMap<>(Split.class);
        for (Split s : Split.values()) m.put(s, List.of());
        m.putAll(traces.stream().collect(Collectors.groupingBy(this::of, () -> new EnumMap<>(Split.class), Collectors.toList())));
        return m;
    }
}
