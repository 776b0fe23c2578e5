package io.xmig.control.cli;

import io.xmig.dataplane.hypervisor.GuestMemory;
import picocli.CommandLine.Option;

/**
 * The simulated guest a command creates (a picocli mixin of {@code xmig migrate} and {@code xmig plan}): its memory,
 * its workload (docs/WORKLOADS.md) and the workload's seed.
 */
final class GuestOptions {
    @Option(names = "--mem", defaultValue = "1G", description = "Guest memory (default: ${DEFAULT-VALUE}).")
    String mem;

    @Option(names = "--workload", defaultValue = "sweep:rate=10000,ws=256M", description = "Workload spec, docs/WORKLOADS.md (default: ${DEFAULT-VALUE}).")
    String workload;

    @Option(names = "--seed", defaultValue = "1", description = "Workload seed (default: ${DEFAULT-VALUE}).")
    long seed;

    /** {@code --mem} in pages; an {@link IllegalArgumentException} for a size that is not one or is under a page. */
    long pages() {
        long pages = Sizes.bytes(mem) / GuestMemory.PAGE_SIZE;
        if (pages <= 0) throw new IllegalArgumentException("--mem must be at least one page");
        return pages;
    }
}
