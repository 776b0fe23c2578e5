package io.xmig.control.policy;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The registry of switch policies, by the name used on the command line. A spec is {@code NAME} or
 * {@code NAME:key=value,key=value}:
 * <ul>
 *   <li>{@code xen-default} — {@link XenDefaultPolicy}, no parameters;</li>
 *   <li>{@code downtime-limit[:limit=300ms,max-rounds=30,on-cap=abort|stop]} — {@link DowntimeLimitPolicy};</li>
 *   <li>{@code postcopy-only} — {@link PostcopyOnlyPolicy}, no parameters;</li>
 *   <li>{@code postcopy-after-first-pass[:limit=300ms]} — {@link PostcopyAfterFirstPassPolicy};</li>
 *   <li>{@code hybrid-threshold[:share=0.8,rounds=2,limit=300ms,max-rounds=30]} — {@link HybridThresholdPolicy};</li>
 *   <li>{@code predictive[:limit=300ms,postcopy=yes|no,max-rounds=30,lookahead=5,gain=0.3,overhead=5ms,patience=3]} —
 *       {@link PredictivePolicy} (its forecaster is chosen where the session is made, not here).</li>
 * </ul>
 * {@code limit} takes {@code ms} or {@code s} (a bare number is milliseconds, as QEMU's {@code downtime-limit}),
 * fractions allowed; {@code share} is a decimal fraction from 0 to 1.
 * Every mistake is an {@link IllegalArgumentException} whose one-line message names what is valid. A new policy adds
 * one entry to {@link #REGISTRY}. Stateless; safe from any thread.
 */
public final class Policies {

    private record Entry(List<String> keys, Function<Map<String, String>, SwitchPolicy> factory) {
    }

    private static final Map<String, Entry> REGISTRY = new LinkedHashMap<>();

    static {
        REGISTRY.put(XenDefaultPolicy.NAME, new Entry(List.of(), p -> new XenDefaultPolicy()));
        REGISTRY.put(DowntimeLimitPolicy.NAME, new Entry(List.of("limit", "max-rounds", "on-cap"), Policies::downtimeLimit));
        REGISTRY.put(PostcopyOnlyPolicy.NAME, new Entry(List.of(), p -> new PostcopyOnlyPolicy()));
        REGISTRY.put(PostcopyAfterFirstPassPolicy.NAME, new Entry(List.of("limit"),
                p -> new PostcopyAfterFirstPassPolicy(limit(PostcopyAfterFirstPassPolicy.NAME, p))));
        REGISTRY.put(HybridThresholdPolicy.NAME, new Entry(List.of("share", "rounds", "limit", "max-rounds"),
                Policies::hybridThreshold));
        REGISTRY.put(PredictivePolicy.NAME, new Entry(List.of("limit", "postcopy", "max-rounds", "lookahead", "gain", "overhead", "patience"),
                Policies::predictive));
    }

    private Policies() {
    }

    /** The registered policy names, in the order they are listed to users. */
    public static List<String> names() {
        return List.copyOf(REGISTRY.keySet());
    }

    /**
     * A policy from its spec, e.g. {@code xen-default} or {@code downtime-limit:limit=300ms,max-rounds=30,on-cap=abort}.
     *
     * @throws IllegalArgumentException unknown name, unknown or repeated key, malformed list or bad value
     */
    public static SwitchPolicy create(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty policy spec; valid policies: " + String.join(", ", names()));
        }
        String s = spec.strip();
        int colon = s.indexOf(':');
        String name = (colon < 0 ? s : s.substring(0, colon)).strip();
        Entry entry = REGISTRY.get(name);
        if (entry == null) {
            throw new IllegalArgumentException("unknown policy '" + name + "'; valid policies: " + String.join(", ", names()));
        }
        Map<String, String> params = colon < 0 ? Map.of() : parameters(name, entry.keys(), s.substring(colon + 1));
        return entry.factory().apply(params);
    }

    private static Map<String, String> parameters(String name, List<String> keys, String list) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("policy " + name + " takes no parameters, got '" + list + "'");
        }
        String validKeys = "; valid keys: " + String.join(", ", keys);
        Map<String, String> params = new LinkedHashMap<>();
        for (String item : list.split(",", -1)) {
            int eq = item.indexOf('=');
            String key = eq < 0 ? item.strip() : item.substring(0, eq).strip();
            String value = eq < 0 ? "" : item.substring(eq + 1).strip();
            if (eq < 0 || key.isEmpty() || value.isEmpty()) {
                throw new IllegalArgumentException("policy " + name + ": expected key=value, got '" + item.strip() + "'" + validKeys);
            }
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("policy " + name + ": unknown key '" + key + "'" + validKeys);
            }
            if (params.putIfAbsent(key, value) != null) {
                throw new IllegalArgumentException("policy " + name + ": key '" + key + "' given twice");
            }
        }
        return params;
    }

    private static SwitchPolicy downtimeLimit(Map<String, String> p) {
        String name = DowntimeLimitPolicy.NAME;
        long limit = limit(name, p);
        int maxRounds = rounds(name, p, "max-rounds", DowntimeLimitPolicy.DEFAULT_MAX_ROUNDS);
        DowntimeLimitPolicy.OnCap onCap = DowntimeLimitPolicy.DEFAULT_ON_CAP;
        if (p.containsKey("on-cap")) {
            onCap = switch (p.get("on-cap")) {
                case "abort" -> DowntimeLimitPolicy.OnCap.ABORT;
                case "stop" -> DowntimeLimitPolicy.OnCap.STOP;
                default -> throw new IllegalArgumentException("policy " + name + ": bad on-cap '" + p.get("on-cap")
                        + "'; expected abort or stop");
            };
        }
        return new DowntimeLimitPolicy(limit, maxRounds, onCap);
    }

    private static SwitchPolicy hybridThreshold(Map<String, String> p) {
        String name = HybridThresholdPolicy.NAME;
        double share = HybridThresholdPolicy.DEFAULT_SHARE;
        if (p.containsKey("share")) share = fraction(name, "share", p.get("share"));
        return new HybridThresholdPolicy(share, rounds(name, p, "rounds", HybridThresholdPolicy.DEFAULT_ROUNDS),
                limit(name, p), rounds(name, p, "max-rounds", HybridThresholdPolicy.DEFAULT_MAX_ROUNDS));
    }

    private static SwitchPolicy predictive(Map<String, String> p) {
        String name = PredictivePolicy.NAME;
        boolean postcopy = true;
        if (p.containsKey("postcopy")) {
            postcopy = switch (p.get("postcopy")) {
                case "yes" -> true;
                case "no" -> false;
                default -> throw new IllegalArgumentException("policy " + name + ": bad postcopy '" + p.get("postcopy")
                        + "'; expected yes or no");
            };
        }
        int lookahead = rounds(name, p, "lookahead", PredictivePolicy.DEFAULT_LOOKAHEAD);
        if (lookahead > 30) throw new IllegalArgumentException("policy " + name + ": bad lookahead '" + p.get("lookahead")
                + "'; expected 1 to 30 rounds");
        double gain = PredictivePolicy.DEFAULT_GAIN;
        if (p.containsKey("gain")) gain = fraction(name, "gain", p.get("gain"));
        long overhead = PredictivePolicy.DEFAULT_OVERHEAD_NANOS;
        if (p.containsKey("overhead")) {
            overhead = parseDuration(p.get("overhead"));
            if (overhead < 0 || overhead > 10_000_000_000L) {
                throw new IllegalArgumentException("policy " + name + ": bad overhead '" + p.get("overhead")
                        + "'; expected a duration from 0ms to 10s such as 5ms");
            }
        }
        return new PredictivePolicy(limit(name, p), postcopy, rounds(name, p, "max-rounds", DowntimeLimitPolicy.DEFAULT_MAX_ROUNDS),
                lookahead, gain, overhead, rounds(name, p, "patience", PredictivePolicy.DEFAULT_PATIENCE));
    }

    /** A decimal fraction 0..1 as written ("0.8"), or an error naming {@code key}. */
    private static double fraction(String name, String key, String text) {
        BigDecimal value = text.matches("\\d+(\\.\\d+)?") ? new BigDecimal(text) : BigDecimal.valueOf(-1);
        if (value.signum() < 0 || value.compareTo(BigDecimal.ONE) > 0) {
            throw new IllegalArgumentException("policy " + name + ": bad " + key + " '" + text
                    + "'; expected a fraction from 0 to 1 such as 0.8");
        }
        return value.doubleValue();
    }

    /** The {@code limit} parameter, or QEMU's 300 ms when absent. */
    private static long limit(String name, Map<String, String> p) {
        if (!p.containsKey("limit")) return DowntimeLimitPolicy.DEFAULT_LIMIT_NANOS;
        long limit = parseDuration(p.get("limit"));
        if (limit < 0 || limit > DowntimeLimitPolicy.MAX_LIMIT_NANOS) {
            throw new IllegalArgumentException("policy " + name + ": bad limit '" + p.get("limit")
                    + "'; expected a duration from 0ms to 2000s such as 300ms or 1.5s");
        }
        return limit;
    }

    /** A count of rounds, at least 1, under {@code key}, or {@code fallback} when absent. */
    private static int rounds(String name, Map<String, String> p, String key, int fallback) {
        if (!p.containsKey(key)) return fallback;
        int rounds;
        try {
            rounds = Integer.parseInt(p.get(key));
        } catch (NumberFormatException e) {
            rounds = 0;
        }
        if (rounds < 1) {
            throw new IllegalArgumentException("policy " + name + ": bad " + key + " '" + p.get(key)
                    + "'; expected a whole number of rounds, at least 1");
        }
        return rounds;
    }

    /** "300ms", "1.5s", "300" (milliseconds) → nanoseconds; -1 when it is not such a duration. */
    static long parseDuration(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        BigDecimal unitNanos = BigDecimal.valueOf(1_000_000L);
        if (t.endsWith("ms")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            t = t.substring(0, t.length() - 1);
            unitNanos = BigDecimal.valueOf(1_000_000_000L);
        }
        if (!t.strip().matches("\\d+(\\.\\d+)?")) return -1;
        BigDecimal nanos = new BigDecimal(t.strip()).multiply(unitNanos).setScale(0, RoundingMode.HALF_UP);
        return nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0 ? -1 : nanos.longValueExact();
    }

    /** Nanoseconds as the shortest spec text: 300000000 → "300ms", 1500000 → "1.5ms". */
    static String formatDuration(long nanos) {
        return BigDecimal.valueOf(nanos).movePointLeft(6).stripTrailingZeros().toPlainString() + "ms";
    }
}
