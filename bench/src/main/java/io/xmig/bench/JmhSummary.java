package io.xmig.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads JMH result files ({@code -rf json -rff FILE}) and prints, as Markdown, min / median / max over every
 * measurement iteration of every fork (JMH's {@code rawData}), for the primary score and each aux counter, then the
 * ratios docs/BENCHMARKS.md quotes, taken between results of the same file (the same JMH run).
 *
 * <p>Usage: {@code JmhSummary FILE.json...}
 */
public final class JmhSummary {
    record Row(String benchmark, String params, String metric, String unit, double[] sorted) {
        double min() { return sorted[0]; }
        double max() { return sorted[sorted.length - 1]; }
        double median() {
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: JmhSummary RESULT.json...");
            System.exit(2);
        }
        for (String file : args) {
            List<Row> rows = rows(new Json(Files.readString(Path.of(file))).parse());
            System.out.printf("%n### %s%n%n| benchmark | params | metric | unit | samples | min | median | max |%n"
                    + "|---|---|---|---|---|---|---|---|%n", file);
            for (Row r : rows) {
                System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %d | %s | %s | %s |%n", r.benchmark, r.params, r.metric,
                        r.unit, r.sorted.length, num(r.min()), num(r.median()), num(r.max()));
            }
            ratios(rows);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Row> rows(Object json) {
        List<Row> out = new ArrayList<>();
        for (Object o : (List<Object>) json) {
            Map<String, Object> b = (Map<String, Object>) o;
            String name = (String) b.get("benchmark");
            String[] parts = name.split("\\.");
            String shortName = parts[parts.length - 2] + "." + parts[parts.length - 1];
            Map<String, Object> params = (Map<String, Object>) b.getOrDefault("params", Map.of());
            String p = String.join(", ", new TreeMap<>(params).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
            out.add(row(shortName, p, "score", (Map<String, Object>) b.get("primaryMetric")));
            Map<String, Object> secondary = (Map<String, Object>) b.getOrDefault("secondaryMetrics", Map.of());
            for (var e : secondary.entrySet()) out.add(row(shortName, p, e.getKey(), (Map<String, Object>) e.getValue()));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Row row(String benchmark, String params, String metric, Map<String, Object> m) {
        List<Double> values = new ArrayList<>();
        for (Object fork : (List<Object>) m.get("rawData")) for (Object v : (List<Object>) fork) values.add((Double) v);
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return new Row(benchmark, params, metric, (String) m.get("scoreUnit"), sorted);
    }

    private static void ratios(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        for (Row r : rows) {
            if (r.benchmark.equals("CleanBenchmark.clean") && r.metric.equals("score") && r.unit.equals("us/op")) {
                lines.add(String.format(Locale.ROOT, "CLEAN (%s): median %s µs = %.2f × the 1 ms goal (max %.2f ×)", r.params,
                        num(r.median()), r.median() / 1000, r.max() / 1000));
            }
        }
        Map<String, Row[]> tracking = new LinkedHashMap<>();
        for (Row r : rows) {
            if (!r.benchmark.equals("TrackingOverheadBenchmark.round") || !r.metric.equals("writes")) continue;
            String workload = r.params.replaceAll(".*workload=", "");
            Row[] pair = tracking.computeIfAbsent(workload, k -> new Row[2]);
            pair[r.params.contains("tracking=armed") ? 1 : 0] = r;
        }
        for (var e : tracking.entrySet()) {
            Row off = e.getValue()[0], armed = e.getValue()[1];
            if (off == null || armed == null) continue;
            lines.add(String.format(Locale.ROOT, "guest writes/s armed / off, %s: median %s / %s = %.3f (min/min %.3f, max/max %.3f)",
                    e.getKey(), num(armed.median()), num(off.median()), armed.median() / off.median(),
                    armed.min() / off.min(), armed.max() / off.max()));
        }
        Map<String, Row> install = new TreeMap<>();
        for (Row r : rows) if (r.benchmark.startsWith("InstallBenchmark.") && r.metric.equals("score")) install.put(r.benchmark, r);
        Row one = install.get("InstallBenchmark.batch01");
        for (String other : List.of("InstallBenchmark.batch16", "InstallBenchmark.batch64")) {
            Row r = install.get(other);
            if (one != null && r != null) {
                lines.add(String.format(Locale.ROOT, "install pages/s %s / batch01: median %s / %s = %.2f", other.substring(17),
                        num(r.median()), num(one.median()), r.median() / one.median()));
            }
        }
        for (Row r : rows) {
            if (r.benchmark.equals("RingBufferBenchmark.ring") && r.metric.equals("batches")) {
                lines.add(String.format(Locale.ROOT, "ring: median %s batches/s = %s runs/s (64 runs per batch; min %s, max %s batches/s)",
                        num(r.median()), num(r.median() * 64), num(r.min()), num(r.max())));
            }
        }
        Map<String, Row> frames = new TreeMap<>();
        for (Row r : rows) {
            if (r.benchmark.startsWith("PagesFrameBenchmark.") && r.metric.equals("score")) frames.put(r.benchmark + " " + r.params, r);
        }
        for (String op : List.of("encode", "decode")) {
            Row single = frames.get("PagesFrameBenchmark." + op + " shape=1x64"), many = frames.get("PagesFrameBenchmark." + op + " shape=64x1");
            if (single == null || many == null) continue;
            // encode copies the page data, so bytes/s mean something; decode never reads it (views only)
            lines.add(String.format(Locale.ROOT, "PAGES %s pages/s, 64 one-page runs / one 64-page run: median %s / %s = %.3f%s", op,
                    num(many.median()), num(single.median()), many.median() / single.median(), op.equals("encode")
                            ? String.format(Locale.ROOT, "; page data copied: %.2f / %.2f GB/s", many.median() * 4096 / 1e9, single.median() * 4096 / 1e9)
                            : ""));
        }
        if (lines.isEmpty()) return;
        System.out.println();
        for (String l : lines) System.out.println("- " + l);
    }

    private static String num(double x) {
        double a = Math.abs(x);
        if (a >= 1e9) return String.format(Locale.ROOT, "%.3g G", x / 1e9).replace(".000", "");
        if (a >= 1e6) return String.format(Locale.ROOT, "%.3g M", x / 1e6).replace(".000", "");
        if (a >= 1000) return String.format(Locale.ROOT, "%,.0f", x);
        if (a >= 10) return String.format(Locale.ROOT, "%.1f", x);
        return String.format(Locale.ROOT, "%.3f", x);
    }

    /** Just enough JSON for JMH's result files: objects, arrays, strings, numbers, true/false/null. */
    static final class Json {
        private final String s;
        private int i;

        Json(String s) {
            this.s = s;
        }

        Object parse() {
            Object v = value();
            ws();
            if (i != s.length()) throw error("trailing characters");
            return v;
        }

        private Object value() {
            ws();
            if (i >= s.length()) throw error("unexpected end");
            char c = s.charAt(i);
            switch (c) {
                case '{': {
                    i++;
                    Map<String, Object> m = new LinkedHashMap<>();
                    ws();
                    if (peek('}')) return m;
                    do {
                        ws();
                        String k = string();
                        ws();
                        expect(':');
                        m.put(k, value());
                        ws();
                    } while (peek(','));
                    expect('}');
                    return m;
                }
                case '[': {
                    i++;
                    List<Object> l = new ArrayList<>();
                    ws();
                    if (peek(']')) return l;
                    do {
                        l.add(value());
                        ws();
                    } while (peek(','));
                    expect(']');
                    return l;
                }
                case '"':
                    return string();
                default:
                    if (s.startsWith("true", i)) { i += 4; return Boolean.TRUE; }
                    if (s.startsWith("false", i)) { i += 5; return Boolean.FALSE; }
                    if (s.startsWith("null", i)) { i += 4; return null; }
                    if (s.startsWith("\"NaN\"", i)) { i += 5; return Double.NaN; }
                    int start = i;
                    while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
                    if (start == i) throw error("unexpected '" + c + "'");
                    return Double.parseDouble(s.substring(start, i));
            }
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> b.append(e);
                }
            }
        }

        private void ws() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private boolean peek(char c) {
            if (i < s.length() && s.charAt(i) == c) { i++; return true; }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) throw error("expected '" + c + "'");
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException("JSON: " + what + " at offset " + i + ": "
                    + s.substring(Math.max(0, i - 20), Math.min(s.length(), i + 20)));
        }
    }

    private JmhSummary() {}
}
