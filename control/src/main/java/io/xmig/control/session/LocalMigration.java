package io.xmig.control.session;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.Hypervisor;
import io.xmig.dataplane.hypervisor.SimCounters;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Local mode: the source guest and a destination agent in one process, talking over loopback TCP through the same
 * page path and protocol as two hosts would. Verification compares the two domains directly. The caller owns the
 * returned domains: the source (paused if the guest moved) and the destination when the guest runs there, which is
 * after a completed migration and also after a post-copy that could not finish (then it waits for pages).
 */
public final class LocalMigration {
    private LocalMigration() {}

    public record Result(MigrationOutcome outcome, int sourceDomid, int destinationDomid) {}

    /** Migrates the existing domain {@code source} to a new destination domain in this process. */
    public static Result migrate(Hypervisor hv, int source, MigrationOptions options, Consumer<String> progress)
            throws InterruptedException {
        return migrate(hv, source, options, progress, s -> { });
    }

    /** As {@link #migrate(Hypervisor, int, MigrationOptions, Consumer)}, handing the session to {@code onStart} first
     *  (for a manual switch). */
    public static Result migrate(Hypervisor hv, int source, MigrationOptions options, Consumer<String> progress,
                                 Consumer<MigrationSession> onStart) throws InterruptedException {
        CompletableFuture<DestinationSession> arrived = new CompletableFuture<>();
        try (MigrationAgent agent = new MigrationAgent(hv, Math.max(2, options.channels() + 1), arrived::complete)
                .listen(new InetSocketAddress("127.0.0.1", 0))) {
            MigrationSession session = new MigrationSession(hv, source, agent.address(), options,
                    transport -> new DirectVerifier(hv, source, () -> arrived.join().domid()), progress);
            onStart.accept(session);
            MigrationOutcome outcome = session.run();
            int dest = -1;
            if (outcome.status() == MigrationOutcome.Status.COMPLETED) {
                DestinationSession ds = arrived.getNow(null);
                if (ds != null) {
                    try {
                        if (ds.outcome().get(10, TimeUnit.SECONDS) == DestinationSession.State.RESUMED) dest = ds.domid();
                    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                        throw new IllegalStateException("destination did not settle after RESUMED", e);
                    }
                }
            } else if (arrived.isDone()) {
                DestinationSession ds = arrived.join();
                DestinationSession.State st = ds.state();
                if (st == DestinationSession.State.POSTCOPY_INTERRUPTED || st == DestinationSession.State.RESUMED) {
                    dest = ds.domid();                  // the guest lives there now: the caller decides its fate
                } else {
                    // the agent discards the copy when the source aborts or fails; wait for it so no domain leaks
                    awaitQuietly(ds, Duration.ofSeconds(10));
                }
            }
            return new Result(outcome, source, dest);
        }
    }

    /** Creates a source guest of {@code pages} pages running {@code workload} and migrates it. */
    public static Result migrateNew(Hypervisor hv, long pages, String workload, long seed, MigrationOptions options,
                                    Consumer<String> progress) throws InterruptedException {
        return migrateNew(hv, pages, workload, seed, options, progress, s -> { });
    }

    public static Result migrateNew(Hypervisor hv, long pages, String workload, long seed, MigrationOptions options,
                                    Consumer<String> progress, Consumer<MigrationSession> onStart) throws InterruptedException {
        GuestSimulator sim = hv.simulator().orElseThrow(() -> new IllegalStateException("local mode needs the simulator"));
        int source = sim.createDomain(pages, workload, seed);
        try {
            return migrate(hv, source, options, progress, onStart);
        } catch (RuntimeException | InterruptedException e) {
            sim.destroy(source);
            throw e;
        }
    }

    private static void awaitQuietly(DestinationSession s, Duration d) {
        try {
            s.outcome().get(d.toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
            // reported through the outcome already
        }
    }

    /** Counters of a domain, or null if it does not exist (any more). */
    public static SimCounters countersOrNull(GuestSimulator sim, int domid) {
        try {
            return domid < 0 ? null : sim.counters(domid);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
