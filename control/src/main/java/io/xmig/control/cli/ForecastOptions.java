package io.xmig.control.cli;

import io.xmig.control.telemetry.ForecastFeed;
import io.xmig.control.telemetry.ForecastSources;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import io.xmig.predictor.telemetry.TelemetryTrace;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * The forecast options {@code xmig migrate} and {@code xmig plan} share (a picocli mixin), and starting the feed on a
 * simulated guest with them. With {@code --forecaster oracle} the twin is recorded before the guest is created, so
 * the guest's own timeline starts with the feed.
 */
final class ForecastOptions {
    @Option(names = "--forecaster", defaultValue = ForecastSources.DEFAULT_SPEC,
            description = "Forecaster feeding the predictive policy and the plan: lstm:bundled, lstm:PATH, ewma[:ALPHA], "
                    + "last-value, ar[:LAGS:WINDOW], oracle (a seeded twin's recorded future) (default: ${DEFAULT-VALUE}).")
    String forecaster;

    @Option(names = "--oracle-seconds", defaultValue = "60",
            description = "With --forecaster oracle: seconds of the twin to record first (default: ${DEFAULT-VALUE}).")
    int oracleSeconds;

    private TelemetryTrace twin;

    /** Fails with an {@link IllegalArgumentException} naming the valid forecasters unless the spec is one of them. */
    void validate() {
        if (forecaster.equals("oracle") || forecaster.startsWith("lstm:")) return;
        ForecastSources.choose(forecaster, () -> null).forecaster().close();
    }

    /** Records the oracle's twin if {@code --forecaster oracle}; call before the guest itself is created. */
    void prepare(XenHypervisor hv, long pages, String workload, long seed, PrintWriter err) throws InterruptedException {
        if (!forecaster.equals("oracle")) return;
        err.printf("xmig: recording the oracle's twin (%s, seed %d) for %d s%n", workload, seed, oracleSeconds);
        err.flush();
        twin = ForecastSources.recordTwin(hv, pages, workload, seed, oracleSeconds * 1000L);
    }

    /** Starts the feed on {@code domid}; a fallback (missing or corrupt model) is said on {@code err}. */
    ForecastFeed start(XenHypervisor hv, int domid, PrintWriter err) {
        ForecastSources.Chosen c = ForecastSources.choose(forecaster, () -> twin);
        c.warning().ifPresent(w -> {
            err.println(w);
            err.flush();
        });
        return ForecastSources.startFeed(hv, domid, c);
    }
}
