package io.xmig.predictor.telemetry;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The telemetry CSV format, version 1 (docs/FORECAST.md): optional {@code # key=value} comment lines, then the header
 * {@value #HEADER}, then one row per sample. {@code workload_family} and {@code seed} repeat on every row so that rows
 * of several files can be concatenated and still say where they came from; within one file they must not change.
 * Numbers are written with {@link Double#toString}, so a write/read round trip is exact.
 */
public final class TelemetryCsv {
    public static final String HEADER = "t_ms,dirty_pages_per_s,cpu_util,hot_set_pages,bandwidth_bytes_per_s,workload_family,seed";
    public static final String MAGIC = "# xmig telemetry v1";
    private static final List<String> COLUMNS = List.of(HEADER.split(","));

    private TelemetryCsv() {
    }

    public static void write(Path file, TelemetryTrace trace) {
        try (Appender w = open(file, trace.family(), trace.seed(), trace.intervalMillis(), trace.metadata())) {
            for (TelemetrySample s : trace.samples()) w.append(s);
        }
    }

    /** Writes the header now and one row per {@link Appender#append}, flushed at once: a sampler's file. */
    public static Appender open(Path file, String family, long seed, long intervalMillis, Map<String, String> metadata) {
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            return new Appender(Files.newBufferedWriter(file, StandardCharsets.UTF_8), family, seed, intervalMillis, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write telemetry file " + file, e);
        }
    }

    public static TelemetryTrace read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read telemetry file " + file, e);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        List<TelemetrySample> samples = new ArrayList<>();
        String family = null;
        long seed = 0;
        boolean header = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) continue;
            if (line.startsWith("#")) {
                int eq = line.indexOf('=');
                if (eq > 0) meta.put(line.substring(1, eq).strip(), line.substring(eq + 1).strip());
                continue;
            }
            if (!header) {
                if (!Arrays.asList(line.split(",")).equals(COLUMNS)) {
                    throw bad(file, i, "expected the header '" + HEADER + "', found '" + line + "'");
                }
                header = true;
                continue;
            }
            String[] f = line.split(",", -1);
            if (f.length != COLUMNS.size()) throw bad(file, i, f.length + " fields, expected " + COLUMNS.size());
            try {
                samples.add(new TelemetrySample(Long.parseLong(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                        Long.parseLong(f[3]), Double.parseDouble(f[4])));
                long rowSeed = Long.parseLong(f[6]);
                if (family == null) {
                    family = f[5];
                    seed = rowSeed;
                } else if (!family.equals(f[5]) || seed != rowSeed) {
                    throw bad(file, i, "workload_family/seed changed within the file (" + family + "/" + seed + " then "
                            + f[5] + "/" + rowSeed + ")");
                }
            } catch (IllegalArgumentException e) {
                throw bad(file, i, e.getMessage());
            }
        }
        if (!header) throw bad(file, lines.size(), "no header line '" + HEADER + "'");
        if (family == null) throw bad(file, lines.size(), "no samples");
        long interval = meta.containsKey("interval_ms") ? Long.parseLong(meta.get("interval_ms")) : medianStep(samples);
        meta.remove("interval_ms");
        return new TelemetryTrace(family, seed, interval, meta, samples);
    }

    /** Every {@code *.csv} telemetry file directly in {@code dir}, in name order. */
    public static List<TelemetryTrace> readDirectory(Path dir) {
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException("no such directory of traces: " + dir);
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().map(TelemetryCsv::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static long medianStep(List<TelemetrySample> s) {
        if (s.size() < 2) throw new IllegalArgumentException("one sample and no '# interval_ms=' line: the interval is unknown");
        long[] d = new long[s.size() - 1];
        for (int i = 1; i < s.size(); i++) d[i - 1] = s.get(i).tMillis() - s.get(i - 1).tMillis();
        Arrays.sort(d);
        return Math.max(1, d[d.length / 2]);
    }

    private static IllegalArgumentException bad(Path file, int lineIndex, String what) {
        return new IllegalArgumentException("telemetry file " + file + " line " + (lineIndex + 1) + ": " + what);
    }

    /** An open telemetry file, one row per sample. Used by one thread. */
    public static final class Appender implements AutoCloseable {
        private final BufferedWriter out;
        private final String suffix;

        Appender(BufferedWriter out, String family, long seed, long intervalMillis, Map<String, String> metadata) throws IOException {
            if (family == null || family.isBlank() || family.contains(",")) {
                throw new IllegalArgumentException("workload_family must be a non-empty word without commas: '" + family + "'");
            }
            this.out = out;
            this.suffix = "," + family + "," + seed + "\n";
            out.write(MAGIC + "\n");
            out.write("# interval_ms=" + intervalMillis + "\n");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                String v = e.getValue().replace('\n', ' ');
                out.write("# " + e.getKey() + "=" + v + "\n");
            }
            out.write(HEADER + "\n");
            out.flush();
        }

        public void append(TelemetrySample s) {
            try {
                Writer w = out;
                w.write(Long.toString(s.tMillis()));
                w.write(',');
                w.write(Double.toString(s.dirtyPagesPerSecond()));
                w.write(',');
                w.write(Double.toString(s.cpuUtil()));
                w.write(',');
                w.write(Long.toString(s.hotSetPages()));
                w.write(',');
                w.write(Double.toString(s.bandwidthBytesPerSecond()));
                w.write(suffix);
                w.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write a telemetry row", e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close a telemetry file", e);
            }
        }
    }
}
