package io.xmig.control.cli;

import io.xmig.control.agent.DestinationSession;
import io.xmig.control.agent.MigrationAgent;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;

/**
 * {@code xmig agent --listen HOST:PORT}: the destination side. Accepts migrations, runs each arriving guest after it
 * resumes, and prints one line per migration. {@code --once} exits after the first migration ends (tests, scripts).
 */
@Command(name = "agent", mixinStandardHelpOptions = true, description = "Receive migrations (destination agent).")
final class AgentCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--listen", defaultValue = "127.0.0.1:7000", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--once", description = "Exit after the first migration has ended (resumed or discarded).")
    boolean once;

    @Option(names = "--threads", defaultValue = "3", description = "Network threads (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--interrupted-expiry", defaultValue = "10m", description = "How long an interrupted post-copy "
            + "waits for its source to reconnect before the session is dropped, the guest staying here, e.g. 90s, 10m "
            + "(default: ${DEFAULT-VALUE}); keep it longer than the sources' --reconnect-timeout.")
    String interruptedExpiry;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        int colon = listen.lastIndexOf(':');
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(listen.substring(0, Math.max(colon, 0)), Integer.parseInt(listen.substring(colon + 1)));
        } catch (RuntimeException e) {
            throw new ParameterException(spec.commandLine(), "--listen needs HOST:PORT, not '" + listen + "'");
        }
        java.time.Duration expiry;
        try {
            expiry = Sizes.duration("--interrupted-expiry", interruptedExpiry);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        CountDownLatch first = new CountDownLatch(1);
        try (XenHypervisor hv = XenHypervisor.open();
             MigrationAgent agent = new MigrationAgent(hv, threads, s -> watch(s, out, first), expiry).listen(address)) {
            out.println("xmig agent: listening on " + agent.address().getHostString() + ":" + agent.address().getPort());
            out.flush();
            if (once) first.await();
            else Thread.currentThread().join();
        }
        return 0;
    }

    private static void watch(DestinationSession s, PrintWriter out, CountDownLatch done) {
        s.outcome().whenComplete((state, e) -> {
            out.println("xmig agent: session " + s.id() + " -> domain " + s.domid() + ": "
                    + switch (state) {
                        case RESUMED -> "guest resumed here";
                        case ABANDONED -> "post-copy interrupted and not recovered in time; the guest stays here, "
                                + "without the pages it still lacked";
                        default -> "discarded, the guest stays on the source";
                    });
            out.flush();
            done.countDown();
        });
    }
}
