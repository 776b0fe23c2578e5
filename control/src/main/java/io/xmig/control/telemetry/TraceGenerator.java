package io.xmig.control.telemetry;

import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.dataset.Split;
import io.xmig.predictor.dataset.SplitRule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Generates a dataset: every family × seed of the {@link TraceCatalog}, recorded on simulated guests, {@code parallel}
 * guests at a time, each CSV written into the sub-folder the {@link SplitRule} assigns ({@code train/},
 * {@code validation/}, {@code held-out/}); replay curves go to {@code replay/}.
 */
public final class TraceGenerator {
    public record Options(Path out, List<String> families, long firstSeed, int seeds, long durationMillis, long intervalMillis,
                          int parallel, GuestSampler.DirtySource source, SplitRule rule) {
    }

    public record Written(Path file, Split split, int rows) {
    }

    private TraceGenerator() {
    }

    public static List<Written> run(Options o, Consumer<String> progress) throws InterruptedException {
        for (String f : o.families()) TraceCatalog.spec(f, 1, 1);     // unknown family: fail before any guest runs
        List<TraceSpec> specs = new ArrayList<>();
        int seconds = (int) Math.ceil(o.durationMillis() / 1000.0);
        for (String f : o.families()) {
            for (long s = o.firstSeed(); s < o.firstSeed() + o.seeds(); s++) specs.add(TraceCatalog.spec(f, s, seconds));
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, o.parallel()), r -> {
            Thread t = new Thread(r, "xmig-traces");
            t.setDaemon(true);
            return t;
        });
        try (XenHypervisor hv = XenHypervisor.open()) {
            List<Future<Written>> futures = new ArrayList<>();
            for (TraceSpec spec : specs) futures.add(pool.submit(() -> one(hv, spec, o, progress)));
            List<Written> out = new ArrayList<>();
            for (Future<Written> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    for (Future<Written> g : futures) g.cancel(true);
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException re) throw re;
                    throw new IllegalStateException(c);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    private static Written one(XenHypervisor hv, TraceSpec spec, Options o, Consumer<String> progress) throws Exception {
        String workload = spec.workload(), shown = workload;
        if (spec.replay() != null) {
            Path replay = o.out().resolve("replay").resolve(spec.name() + ".csv").toAbsolutePath();
            write(replay, spec.replay());
            workload = workload.replace(TraceSpec.REPLAY_FILE, replay.toString());
            shown = spec.workload().replace(TraceSpec.REPLAY_FILE, "replay/" + spec.name() + ".csv");
        }
        Split split = o.rule().of(spec.family(), spec.seed());
        Path csv = o.out().resolve(split.directory()).resolve(spec.name() + ".csv");
        long t0 = System.nanoTime();
        int rows = TraceRecorder.record(hv, spec, workload, shown, csv, o.durationMillis(), o.intervalMillis(), o.source());
        progress.accept(String.format("%-10s %-18s %4d samples in %5.1f s  %s", split.directory(), spec.name(), rows,
                (System.nanoTime() - t0) / 1e9, shown));
        return new Written(csv, split, rows);
    }

    private static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
