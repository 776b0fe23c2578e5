package io.xmig.control.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xmig.control.plan.MigrationPlanner;
import io.xmig.control.plan.PlanInputs;
import io.xmig.control.policy.Forecast;
import io.xmig.control.policy.Policies;
import io.xmig.control.policy.PredictivePolicy;
import io.xmig.control.telemetry.ForecastFeed;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code xmig plan}: before migrating, watches the guest for {@code --observe}, then predicts for each policy the total
 * time, downtime, bytes and remote faults ({@link MigrationPlanner}), and when to start (the forecast quiet window).
 * On the simulator the guest is created here from {@code --workload}, as {@code xmig migrate} does; nothing is migrated.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Predict each policy's migration (time, downtime, bytes, remote faults) and when to start.")
final class PlanCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @picocli.CommandLine.Mixin
    GuestOptions guest;

    @Option(names = "--bandwidth", required = true, description = "The link's speed (the bandwidth cap), e.g. 100MiB.")
    String bandwidth;

    @Option(names = "--policies", split = ",", description = "Policy specs to plan (default: every registered policy with its defaults).")
    List<String> policies;

    @Option(names = "--observe", defaultValue = "5s", description = "How long to sample the guest first (default: ${DEFAULT-VALUE}).")
    String observe;

    @Option(names = "--json", description = "Also write the predictions here as JSON.")
    Path json;

    @Mixin
    ForecastOptions forecast;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        long pages, link;
        Duration watch;
        List<String> specs = policies == null || policies.isEmpty() ? Policies.names() : policies;
        try {
            pages = guest.pages();
            link = Sizes.bytes(bandwidth);
            if (link <= 0) throw new IllegalArgumentException("--bandwidth must be more than 0: the plan predicts against the link");
            watch = Sizes.duration("--observe", observe);
            for (String p : specs) Policies.create(p);
            forecast.validate();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = hv.simulator().orElseThrow(() ->
                    new IllegalStateException("planning for an existing Xen domain is not supported yet; run with the simulator"));
            forecast.prepare(hv, pages, guest.workload, guest.seed, err);
            int domid = sim.createDomain(pages, guest.workload, guest.seed);
            try (ForecastFeed feed = startFeed(hv, domid, err)) {
                feed.awaitSamples(Math.max(1, watch.toMillis() / 250), watch.plusSeconds(5));
                Forecast f = feed.latest().orElseThrow(() -> new IllegalStateException("the forecast feed produced nothing: "
                        + feed.failure().map(Throwable::getMessage).orElse("no sample in time")));
                long zero = PlanInputs.countZeroPages(hv.memory(domid));
                PlanInputs in = new PlanInputs(pages, zero, (int) GuestMemory.PAGE_SIZE, link, f,
                        PredictivePolicy.DEFAULT_OVERHEAD_NANOS / 1e9);
                print(out, in, specs, feed);
                return 0;
            } finally {
                sim.destroy(domid);
            }
        }
    }

    private ForecastFeed startFeed(XenHypervisor hv, int domid, PrintWriter err) {
        try {
            return forecast.start(hv, domid, err);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private void print(PrintWriter out, PlanInputs in, List<String> specs, ForecastFeed feed) {
        Forecast f = in.forecast();
        double guestBytes = in.guestPages() * (double) in.pageSize();
        out.printf(Locale.ROOT, "xmig plan: %d MiB guest (%d zero pages), workload %s, link %.1f MiB/s%n",
                in.guestPages() * in.pageSize() >> 20, in.zeroPages(), guest.workload, in.linkBytesPerSecond() / 1048576.0);
        out.printf(Locale.ROOT, "  forecast  %s after %d samples: %.0f pages/s over the next second, %.0f over %.0f s; working set %d pages%n",
                feed.forecaster(), feed.samples(), f.meanRate(0, 1), f.meanRate(0, f.horizonSeconds()), f.horizonSeconds(),
                f.workingSetPages());
        out.printf("  %-28s %-15s %6s %10s %12s %12s %13s%n", "policy", "ending", "rounds", "total ms", "downtime ms",
                "bytes/guest", "remote faults");
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String p : specs) {
            MigrationPlanner.Prediction pr = MigrationPlanner.predict(Policies.create(p), p, in);
            out.printf(Locale.ROOT, "  %-28s %-15s %6d %10.0f %12.1f %12.2f %13.0f%n", p, pr.ending(), pr.liveRounds(),
                    pr.totalMs(), pr.downtimeMs(), pr.bytes() / guestBytes, pr.remoteFaults());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("policy", p);
            row.put("ending", pr.ending());
            row.put("live_rounds", pr.liveRounds());
            row.put("total_ms", pr.totalMs());
            row.put("downtime_ms", pr.downtimeMs());
            row.put("bytes", pr.bytes());
            row.put("remote_faults", pr.remoteFaults());
            row.put("reason", pr.reason());
            rows.add(row);
        }
        String advisePolicy = specs.contains(PredictivePolicy.NAME) ? PredictivePolicy.NAME : specs.getFirst();
        MigrationPlanner.StartAdvice a = MigrationPlanner.whenToStart(Policies.create(advisePolicy), advisePolicy, in);
        if (a.startInSeconds() == 0) {
            out.printf(Locale.ROOT, "  start     now: no start within the %.0f s horizon is forecast to be 10 %% better for %s%n",
                    f.horizonSeconds(), advisePolicy);
        } else {
            out.printf(Locale.ROOT, "  start     in %.2f s, the forecast quiet window: %s then %.1f ms downtime and %.0f remote faults"
                            + " (now: %.1f ms, %.0f); xmig migrate --start-when quiet waits for it%n", a.startInSeconds(),
                    advisePolicy, a.best().downtimeMs(), a.best().remoteFaults(), a.now().downtimeMs(), a.now().remoteFaults());
        }
        out.flush();
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("guest_pages", in.guestPages());
            doc.put("zero_pages", in.zeroPages());
            doc.put("link_bytes_per_s", in.linkBytesPerSecond());
            doc.put("forecaster", feed.forecaster());
            doc.put("working_set_pages", f.workingSetPages());
            doc.put("predictions", rows);
            doc.put("start_in_s", a.startInSeconds());
            try {
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), doc);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + json, e);
            }
        }
    }
}
