package io.xmig.control.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.xmig.control.policy.Policies;
import io.xmig.control.xenstream.GuestSuspend;
import io.xmig.control.xenstream.PageImage;
import io.xmig.control.xenstream.PauseSuspend;
import io.xmig.control.xenstream.SendReport;
import io.xmig.control.xenstream.StockReceiver;
import io.xmig.control.xenstream.XenStreamSender;
import io.xmig.control.xenstream.XenstoreSuspend;
import io.xmig.control.xenstream.XlToolstack;
import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code xmig xen-send}: xmig's pre-copy rounds written as a stock Xen 4.17 migration stream (xl / libxl v2 / libxc
 * v3), to a file or to the stock receiver {@code xl migrate-receive} with its hand-shake. docs/XEN.md.
 */
@Command(name = "xen-send", mixinStandardHelpOptions = true,
        description = "Send a guest as a stock Xen migration stream: to a file, or to xl migrate-receive.")
final class XenSendCommand implements Callable<Integer> {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--domain", description = "Domain id to send (on the simulator: omit it and give --sim-workload).")
    Integer domain;

    @Option(names = "--sim-workload", description = "Simulator only: create a guest running this workload (docs/WORKLOADS.md).")
    String simWorkload;

    @Option(names = "--sim-mem", defaultValue = "64M", description = "Simulator only: its memory (default: ${DEFAULT-VALUE}).")
    String simMem;

    @Option(names = "--policy", defaultValue = "xen-default", description = "Switch policy spec, docs/POLICIES.md (default: ${DEFAULT-VALUE}).")
    String policy;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "--to", paramLabel = "FILE", required = true, description = "Write the stream to this file.")
        Path file;

        @Option(names = "--receiver", paramLabel = "RUNE", required = true,
                description = "Run `sh -c RUNE` as the stock receiver, e.g. \"xl migrate-receive -e\", and hand the guest over.")
        String rune;
    }

    @Option(names = "--config", description = "The xl header's JSON configuration (default: `xl list -l DOMAIN` on Xen, a stub on the simulator).")
    Path config;

    @Option(names = "--suspend", description = "pause or xenstore (default: xenstore with --receiver, pause with --to).")
    String suspend;

    @Option(names = "--check-at-pause", description = "Keep the destination image and compare it with the stopped guest: differing pages.")
    boolean checkAtPause;

    @Option(names = "--resume", description = "With --to: let the guest run on at the source afterwards.")
    boolean resume;

    @Option(names = "--report", description = "Write the JSON report here.")
    Path report;

    @Option(names = "--receiver-log", defaultValue = "xl-migrate-receive.log", description = "The receiver's stderr (default: ${DEFAULT-VALUE}).")
    Path receiverLog;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        try (XenHypervisor hv = XenHypervisor.open()) {
            int domid = domain != null ? domain : simulatedGuest(hv);
            try {
                return send(hv, domid, out);
            } finally {
                if (domain == null) hv.simulator().orElseThrow().destroy(domid);     // the guest this command made
            }
        }
    }

    private int send(XenHypervisor hv, int domid, PrintWriter out) throws Exception {
        XlToolstack xl = new XlToolstack();
        byte[] json = config != null ? Files.readAllBytes(config)
                : hv.simulator().isPresent() ? ("{\"c_info\":{\"type\":\"pvh\",\"name\":\"xmig-sim-" + domid + "\"}}").getBytes()
                : xl.configJson(domid);
        boolean toReceiver = target.rune != null;
        GuestSuspend how = "pause".equals(suspend) || (suspend == null && !toReceiver) ? new PauseSuspend(hv)
                : new XenstoreSuspend(hv, Duration.ofSeconds(60));
        XenStreamSender sender = new XenStreamSender(hv, domid, Policies.create(policy), policy, how);
        long[] diffs = {-1};
        try (PageImage image = checkAtPause ? new PageImage(hv.guestPages(domid)) : null) {
            if (image != null) {
                sender.observer(image).atPausePoint(() -> diffs[0] = image.differingPages(hv.memory(domid)));
            }
            SendReport r;
            int status = 0;
            if (toReceiver) {
                String name = xl.name(domid);                   // asked before the guest stops, not in its downtime
                try (StockReceiver receiver = StockReceiver.start(target.rune, receiverLog)) {
                    r = sender.send(receiver.stream(), json);
                    status = receiver.handOver(() -> rename(xl, domid, name + "--migratedaway"));
                    if (status == 0) {
                        xl.destroy(domid);
                    } else {
                        xl.rename(domid, name);
                        how.resume(domid);
                    }
                }
            } else {
                try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(target.file), 1 << 20)) {
                    r = sender.send(file, json);
                }
                if (resume) how.resume(domid);
            }
            r = new SendReport(r.domid(), r.policy(), r.suspend(), r.guestPages(), r.rounds(), r.finalPages(),
                    r.finalDecision(), r.totalMillis(), r.downtimeMillis(), r.streamBytes(), diffs[0]);
            String text = JSON.writeValueAsString(r);
            out.println(text);
            if (report != null) Files.writeString(report, text);
            if (toReceiver && status != 0) {
                out.println("stock receiver reported failure " + status + "; the guest was resumed at the source");
                return 1;
            }
            return diffs[0] > 0 ? 1 : 0;
        }
    }

    private int simulatedGuest(XenHypervisor hv) {
        GuestSimulator sim = hv.simulator().orElseThrow(() -> new IllegalArgumentException(
                "--domain is required on Xen (--sim-workload is for the simulator)"));
        if (simWorkload == null) throw new IllegalArgumentException("give --domain or --sim-workload");
        return sim.createDomain(Sizes.bytes(simMem) / 4096, simWorkload, 1);
    }

    private static void rename(XlToolstack xl, int domid, String name) {
        try {
            xl.rename(domid, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
