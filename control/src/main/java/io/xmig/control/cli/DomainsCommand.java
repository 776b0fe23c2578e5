package io.xmig.control.cli;

import io.xmig.dataplane.hypervisor.DomainInfo;
import io.xmig.dataplane.hypervisor.XenHypervisor;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code xmig domains}: the domains the hypervisor has, as {@code xl list} shows them. */
@Command(name = "domains", mixinStandardHelpOptions = true, description = "List the hypervisor's domains.")
final class DomainsCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (XenHypervisor hv = XenHypervisor.open()) {
            out.printf("%-6s %10s %10s %6s %-8s %12s%n", "domid", "pages", "max_pages", "vcpus", "state", "cpu_s");
            for (DomainInfo d : hv.domains()) {
                String state = d.paused() ? "paused" : d.running() ? "running" : "blocked";
                out.printf("%-6d %10d %10d %6d %-8s %12.3f%n", d.domid(), d.totPages(), d.maxPages(), d.onlineVcpus(),
                        state, d.cpuTimeNs() / 1e9);
            }
        }
        return 0;
    }
}
