package io.xmig.control.plan;

import io.xmig.control.policy.Forecast;
import io.xmig.control.policy.SwitchPolicy;
import io.xmig.control.telemetry.ForecastFeed;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code xmig migrate --start-when quiet}: holds the start back until {@link MigrationPlanner#whenToStart} says "now"
 * for the latest forecast — the forecast quiet window has come — or {@code maxWait} has passed. Runs on the caller's
 * thread, reading the feed once per sampling interval.
 */
public final class QuietStart {
    private QuietStart() {
    }

    /** Waits; returns the milliseconds waited. {@code inputs} makes the plan's inputs from a forecast. */
    public static long await(ForecastFeed feed, SwitchPolicy policy, String spec, Function<Forecast, PlanInputs> inputs,
                             Duration maxWait, Consumer<String> progress) throws InterruptedException {
        long t0 = System.nanoTime(), deadline = t0 + maxWait.toNanos();
        String last = null;
        while (true) {
            Optional<Forecast> f = feed.latest();
            if (f.isPresent()) {
                MigrationPlanner.StartAdvice a = MigrationPlanner.whenToStart(policy, spec, inputs.apply(f.get()));
                if (a.startInSeconds() == 0) {
                    long waited = (System.nanoTime() - t0) / 1_000_000;
                    progress.accept(String.format(Locale.ROOT, "quiet window: starting now after %d ms (predicted downtime "
                            + "%.1f ms, %.0f remote faults)", waited, a.now().downtimeMs(), a.now().remoteFaults()));
                    return waited;
                }
                String msg = String.format(Locale.ROOT, "waiting for the forecast quiet window in %.2f s (predicted downtime "
                        + "%.1f ms and %.0f remote faults then, %.1f ms and %.0f now)", a.startInSeconds(), a.best().downtimeMs(),
                        a.best().remoteFaults(), a.now().downtimeMs(), a.now().remoteFaults());
                if (!msg.equals(last)) progress.accept(msg);
                last = msg;
            }
            if (System.nanoTime() > deadline) {
                progress.accept("no quiet window within " + maxWait.toMillis() + " ms: starting anyway");
                return (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(feed.latest().map(x -> x.horizon().intervalMillis()).orElse(250L));
        }
    }
}
