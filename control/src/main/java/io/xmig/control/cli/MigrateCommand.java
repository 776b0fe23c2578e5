package io.xmig.control.cli;

import io.xmig.control.policy.Policies;
import io.xmig.control.report.MigrationReport;
import io.xmig.control.report.ReportWriter;
import io.xmig.control.session.RequestLatency;
import io.xmig.control.session.HashVerifier;
import io.xmig.control.session.LocalMigration;
import io.xmig.control.session.MigrationOptions;
import io.xmig.control.session.MigrationOutcome;
import io.xmig.control.session.MigrationSession;
import io.xmig.control.telemetry.ForecastFeed;
import io.xmig.dataplane.hypervisor.GuestMemory;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.SimCounters;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code xmig migrate}: migrates a guest with pre-copy and a switch policy. {@code --local} puts a destination agent in
 * this process (loopback TCP, direct verification); {@code --to HOST:PORT} sends to an {@code xmig agent}
 * (verification by per-page hashes). On the simulator the source guest is created here from {@code --workload}.
 * Exit code: 0 completed, 1 aborted or failed (the summary says why), 2 bad usage.
 */
@Command(name = "migrate", mixinStandardHelpOptions = true, description = "Live-migrate a guest (pre-copy).")
final class MigrateCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @ArgGroup(multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--local", required = true, description = "Source and destination in this process, over loopback TCP.")
        boolean local;
        @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "Address of the destination's xmig agent.")
        String to;
    }

    @picocli.CommandLine.Mixin
    GuestOptions guest;

    @Option(names = "--policy", defaultValue = "downtime-limit", description = "Switch policy spec, docs/POLICIES.md (default: ${DEFAULT-VALUE}).")
    String policy;

    @Option(names = "--bandwidth", defaultValue = "0", description = "Bandwidth cap over all channels, e.g. 100MiB (default: unlimited).")
    String bandwidth;

    @Option(names = "--channels", defaultValue = "2", description = "Bulk page channels (default: ${DEFAULT-VALUE}).")
    int channels;

    @Option(names = "--report", description = "Write the JSON report here (docs/REPORT.md).")
    Path report;

    @Option(names = "--verify", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Compare destination and source memory before resuming (default: on).")
    boolean verify;

    @Option(names = "--timeout", defaultValue = "30s", description = "How long to wait for the peer (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--reconnect-timeout", defaultValue = "10s",
            description = "After the switch to post-copy, how long to keep reconnecting if the connection breaks (default: ${DEFAULT-VALUE}).")
    String reconnectTimeout;

    @Option(names = "--resend", defaultValue = "xen-skip",
            description = "Which dirty pages a round holds back: none, xen-skip (Xen's skip rule) or clustering (defer the hot pages to the end) (default: ${DEFAULT-VALUE}).")
    String resend;

    @Option(names = "--compression", defaultValue = "auto",
            description = "LZ4 for page frames: off, on, or auto (only while the link is the bottleneck, a core is free and it pays) (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--quiet", description = "No per-round progress lines.")
    boolean quiet;

    @picocli.CommandLine.Mixin
    ForecastOptions forecast;

    @Option(names = "--start-when", defaultValue = "now",
            description = "now, or quiet: wait for the forecast quiet window (xmig plan's advice; needs --bandwidth) "
                    + "up to --max-wait (default: ${DEFAULT-VALUE}).")
    String startWhen;

    @Option(names = "--max-wait", defaultValue = "30s", description = "With --start-when quiet: the longest wait (default: ${DEFAULT-VALUE}).")
    String maxWait;

    @Option(names = "--telemetry", description = "With a forecast: write the guest's telemetry (every sample the feed took, "
            + "bandwidth included) here as CSV, the training format (docs/FORECAST.md).")
    Path telemetry;

    @Option(names = "--forecast-warmup", defaultValue = "2s",
            description = "With a forecast: how long the feed samples the guest before the migration starts (default: ${DEFAULT-VALUE}).")
    String warmup;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        MigrationOptions options;
        long pages;
        Duration wait, warm;
        try {
            pages = guest.pages();
            options = new MigrationOptions(Policies.create(policy), policy, channels, Sizes.bytes(bandwidth), verify,
                    Sizes.duration("--timeout", timeout), Sizes.duration("--reconnect-timeout", reconnectTimeout))
                    .with(io.xmig.dataplane.heat.ResendRule.parse(resend), io.xmig.dataplane.pagepath.Compression.parse(compression));
            forecast.validate();
            wait = Sizes.duration("--max-wait", maxWait);
            warm = Sizes.duration("--forecast-warmup", warmup);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        java.util.function.Consumer<String> progress = quiet ? s -> { } : s -> { err.println("xmig: " + s); err.flush(); };
        boolean quietStart = switch (startWhen) {
            case "now" -> false;
            case "quiet" -> true;
            default -> throw new ParameterException(spec.commandLine(), "--start-when takes now or quiet, not '" + startWhen + "'");
        };
        if (quietStart && options.bandwidthBytesPerSecond() == 0) {
            throw new ParameterException(spec.commandLine(), "--start-when quiet needs --bandwidth: the plan predicts against the link's speed");
        }
        // a feed runs whenever a forecast is used: the predictive policy, or a quiet start
        boolean forecasting = quietStart || options.policy() instanceof io.xmig.control.policy.PredictivePolicy;
        try (XenHypervisor hv = XenHypervisor.open()) {
            GuestSimulator sim = hv.simulator().orElseThrow(() ->
                    new IllegalStateException("migrating an existing Xen domain is not supported yet; run with the simulator"));
            MigrationOutcome outcome;
            SimCounters sourceAfter, destAfter = null;
            MigrationReport.KvLatency kv = null;
            long destSteps = -1;
            int source;
            ForecastFeed feed;
            if (target.local) {
                boolean kvGuest = guest.workload.startsWith("kv");
                if (forecasting) forecast.prepare(hv, pages, guest.workload, guest.seed, err);
                source = sim.createDomain(pages, guest.workload, guest.seed);
                feed = forecasting ? startFeed(hv, source, pages, options, warm, quietStart, wait, err, progress) : null;
                RequestLatency before = null;
                if (kvGuest) {                               // a window of normal service to compare with
                    sim.latencyHistogram(source, true);
                    Thread.sleep(500);
                    before = RequestLatency.of(sim.latencyHistogram(source, true));
                }
                ForecastFeed f = feed;
                LocalMigration.Result r = LocalMigration.migrate(hv, source, options, progress, session -> {
                    listenForSwitch(session, err);
                    if (f != null) {
                        session.forecasts(f.forecaster(), f::latest);
                        f.measureBandwidth(session::bytesOnTheWire);
                    }
                });
                outcome = r.outcome();
                if (r.destinationDomid() >= 0) {
                    long[] during = kvGuest ? RequestLatency.sum(sim.latencyHistogram(source, true),
                            sim.latencyHistogram(r.destinationDomid(), true)) : null;
                    SimCounters atResume = sim.counters(r.destinationDomid());
                    Thread.sleep(kvGuest ? 500 : 100);       // let the resumed guest run: its counters show it
                    destAfter = sim.counters(r.destinationDomid());
                    destSteps = destAfter.steps() - atResume.steps();
                    if (kvGuest) {
                        kv = new MigrationReport.KvLatency(window(before), window(RequestLatency.of(during)),
                                window(RequestLatency.of(sim.latencyHistogram(r.destinationDomid(), true))));
                    }
                    sim.destroy(r.destinationDomid());
                }
            } else {
                InetSocketAddress peer = parseAddress(target.to);
                if (forecasting) forecast.prepare(hv, pages, guest.workload, guest.seed, err);
                source = sim.createDomain(pages, guest.workload, guest.seed);
                feed = forecasting ? startFeed(hv, source, pages, options, warm, quietStart, wait, err, progress) : null;
                MigrationSession session = new MigrationSession(hv, source, peer, options,
                        t -> new HashVerifier(hv.memory(source), t, options.peerTimeout()), progress);
                listenForSwitch(session, err);
                if (feed != null) {
                    session.forecasts(feed.forecaster(), feed::latest);
                    feed.measureBandwidth(session::bytesOnTheWire);
                }
                outcome = session.run();
            }
            if (feed != null) {
                ForecastFeed.Stats st = feed.stats();
                progress.accept(String.format(java.util.Locale.ROOT, "forecast: %s, %d samples, inference p50 %.3f ms, p99 %.3f ms, "
                        + "feed thread %.2f %% of a core", feed.forecaster(), st.samples(), st.p50Micros() / 1e3,
                        st.p99Micros() / 1e3, st.cpuShareOfACore() * 100));
                feed.close();
                if (telemetry != null) {
                    io.xmig.predictor.telemetry.TelemetryCsv.write(telemetry, feed.trace("migration", guest.seed,
                            java.util.Map.of("workload", guest.workload, "policy", options.policySpec())));
                    progress.accept("telemetry: " + feed.samples() + " samples written to " + telemetry);
                }
            }
            sourceAfter = sim.counters(source);
            sim.destroy(source);
            new Summary(outcome, guest.workload, sourceAfter, destAfter, destSteps, kv, startWaitMs).print(out);
            if (report != null) ReportWriter.write(report, Summary.report(outcome, guest.workload, sourceAfter, destAfter, kv, startWaitMs));
            return outcome.status() == MigrationOutcome.Status.COMPLETED ? 0 : 1;
        }
    }

    /**
     * Starts the forecast feed on the new guest, lets it warm up, and with {@code --start-when quiet} waits for the
     * quiet window. On a failure the guest is destroyed by the caller's error path.
     */
    private ForecastFeed startFeed(XenHypervisor hv, int source, long pages, MigrationOptions options, Duration warm,
                                   boolean quietStart, Duration wait, PrintWriter err,
                                   java.util.function.Consumer<String> progress) throws InterruptedException {
        ForecastFeed feed;
        try {
            feed = forecast.start(hv, source, err);
        } catch (IllegalArgumentException e) {
            hv.simulator().orElseThrow().destroy(source);
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        long warmSamples = Math.max(1, warm.toMillis() / 250);
        feed.awaitSamples(warmSamples, warm.plusSeconds(5));
        progress.accept("forecast: " + feed.forecaster() + ", " + feed.samples() + " samples before the start");
        if (quietStart) {
            long zero = io.xmig.control.plan.PlanInputs.countZeroPages(hv.memory(source));
            long waited = io.xmig.control.plan.QuietStart.await(feed, options.policy(), options.policySpec(),
                    f -> new io.xmig.control.plan.PlanInputs(pages, zero, (int) GuestMemory.PAGE_SIZE,
                            options.bandwidthBytesPerSecond(), f, io.xmig.control.policy.PredictivePolicy.DEFAULT_OVERHEAD_NANOS / 1e9),
                    wait, progress);
            startWaitMs = waited;
        }
        return feed;
    }

    private Long startWaitMs;

    /**
     * The manual switch: while the migration runs, a line on standard input — {@code postcopy}, {@code stop} or
     * {@code abort} — takes effect at the end of the current round.
     */
    static void listenForSwitch(MigrationSession session, PrintWriter err) {
        if (!Boolean.parseBoolean(System.getProperty("xmig.switch.stdin", "true"))) return;  // tests: stdin is surefire's
        Thread t = Thread.ofPlatform().daemon().name("xmig-switch-input").start(() -> {
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in))) {
                for (String line; (line = in.readLine()) != null; ) {
                    io.xmig.control.policy.Action a = switch (line.strip()) {
                        case "postcopy" -> io.xmig.control.policy.Action.START_POSTCOPY;
                        case "stop" -> io.xmig.control.policy.Action.STOP_AND_COPY;
                        case "abort" -> io.xmig.control.policy.Action.ABORT;
                        default -> null;
                    };
                    if (a == null) { err.println("xmig: type postcopy, stop or abort"); err.flush(); continue; }
                    session.requestSwitch(a, "typed '" + line.strip() + "'");
                    err.println("xmig: " + a + " at the end of this round");
                    err.flush();
                }
            } catch (java.io.IOException ignored) {
                // no input: no manual switch
            }
        });
    }

    private static MigrationReport.Window window(RequestLatency l) {
        return new MigrationReport.Window(l.requests(), l.p50Micros(), l.p99Micros());
    }

    private InetSocketAddress parseAddress(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        try {
            if (colon <= 0) throw new NumberFormatException();
            int port = Integer.parseInt(hostPort.substring(colon + 1));
            if (port <= 0 || port > 65535) throw new NumberFormatException();
            return new InetSocketAddress(hostPort.substring(0, colon), port);
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "--to needs HOST:PORT, not '" + hostPort + "'");
        }
    }
}
