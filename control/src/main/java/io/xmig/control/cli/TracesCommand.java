package io.xmig.control.cli;

import io.xmig.control.telemetry.GuestSampler;
import io.xmig.control.telemetry.TraceCatalog;
import io.xmig.control.telemetry.TraceGenerator;
import io.xmig.predictor.dataset.Split;
import io.xmig.predictor.dataset.SplitRule;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code xmig traces}: generates the forecasting dataset by recording simulated guests (docs/FORECAST.md, "Traces").
 * Every family × seed of the catalog runs for {@code --duration} in real time, {@code --parallel} guests at a time,
 * and its telemetry goes to {@code OUT/train|validation|held-out/FAMILY-sSEED.csv} by the split rule.
 * Exit code: 0 done, 1 a guest failed, 2 bad usage.
 */
@Command(name = "traces", mixinStandardHelpOptions = true,
        description = "Record telemetry traces of simulated guests for training and evaluating the forecaster.")
final class TracesCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", required = true, description = "Dataset directory (created).")
    Path out;

    @Option(names = "--seeds", defaultValue = "4", description = "Seeds per family (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--first-seed", defaultValue = "1", description = "First seed (default: ${DEFAULT-VALUE}).")
    long firstSeed;

    @Option(names = "--duration", defaultValue = "60s", description = "Length of each trace, e.g. 60s, 1500ms (default: ${DEFAULT-VALUE}).")
    String duration;

    @Option(names = "--interval", defaultValue = "250ms", description = "Sampling interval (default: ${DEFAULT-VALUE}).")
    String interval;

    @Option(names = "--families", split = ",", description = "Workload families (default: all: ${DEFAULT-VALUE}).")
    List<String> families = TraceCatalog.FAMILIES;

    @Option(names = "--parallel", defaultValue = "4", description = "Guests recorded at once (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--dirty-source", defaultValue = "log-dirty",
            description = "log-dirty (one CLEAN per sample) or written-pages (the simulator's record) (default: ${DEFAULT-VALUE}).")
    String dirtySource;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter o = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        long durationMs = millis(spec, "--duration", duration), intervalMs = millis(spec, "--interval", interval);
        if (seeds < 1 || parallel < 1) throw new ParameterException(spec.commandLine(), "--seeds and --parallel must be at least 1");
        if (intervalMs > durationMs) throw new ParameterException(spec.commandLine(), "--interval is longer than --duration");
        GuestSampler.DirtySource source = switch (dirtySource) {
            case "log-dirty" -> GuestSampler.DirtySource.LOG_DIRTY;
            case "written-pages" -> GuestSampler.DirtySource.WRITTEN_PAGES;
            default -> throw new ParameterException(spec.commandLine(), "--dirty-source is log-dirty or written-pages, not " + dirtySource);
        };
        for (String f : families) {
            if (!TraceCatalog.FAMILIES.contains(f)) {
                throw new ParameterException(spec.commandLine(), "unknown family '" + f + "' (" + String.join(", ", TraceCatalog.FAMILIES) + ")");
            }
        }
        int n = families.size() * seeds;
        double minutes = Math.ceil((double) n / parallel) * durationMs / 60_000.0;
        err.printf(Locale.ROOT, "xmig traces: %d traces of %.1f s every %d ms, %d at a time: about %.1f min%n",
                n, durationMs / 1000.0, intervalMs, parallel, minutes);
        err.flush();
        long t0 = System.nanoTime();
        var written = TraceGenerator.run(new TraceGenerator.Options(out, families, firstSeed, seeds, durationMs, intervalMs, parallel,
                source, SplitRule.DEFAULT), line -> {
            err.println("xmig: " + line);
            err.flush();
        });
        Map<Split, Long> count = written.stream().collect(Collectors.groupingBy(TraceGenerator.Written::split, Collectors.counting()));
        o.printf(Locale.ROOT, "xmig traces: %d traces in %s (%s) in %.1f s; split rule: %s%n", written.size(), out,
                Arrays.stream(Split.values()).map(s -> s.directory() + " " + count.getOrDefault(s, 0L)).collect(Collectors.joining(", ")),
                (System.nanoTime() - t0) / 1e9, "family in " + SplitRule.DEFAULT.heldOutFamilies()
                        + " or seed mod 4 = 0: held-out; seed mod 4 = 1: validation; else train");
        return 0;
    }

    /** {@code 250ms}, {@code 60s}, {@code 2m}: milliseconds. */
    static long millis(picocli.CommandLine.Model.CommandSpec spec, String option, String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            long ms;
            if (t.endsWith("ms")) ms = Math.round(Double.parseDouble(t.substring(0, t.length() - 2)));
            else if (t.endsWith("s")) ms = Math.round(1000 * Double.parseDouble(t.substring(0, t.length() - 1)));
            else if (t.endsWith("m")) ms = Math.round(60_000 * Double.parseDouble(t.substring(0, t.length() - 1)));
            else throw new NumberFormatException();
            if (ms <= 0) throw new NumberFormatException();
            return ms;
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), option + " needs a positive duration with a unit (250ms, 60s, 2m), not '" + text + "'");
        }
    }
}
