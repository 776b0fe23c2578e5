package io.xmig.control.session;

import org.junit.jupiter.params.provider.Arguments;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Test fixture: one spec of every simulator workload (docs/WORKLOADS.md), sized for a 64 MiB guest, and the trace
 * file the {@code trace} workload replays. The migration tests run each of them under each policy they cover.
 */
final class EveryWorkload {
    static final List<String> SPECS = List.of("idle", "sweep:rate=20k,ws=16M", "random:rate=20k,ws=32M,vcpus=2",
            "hotcold:rate=40k,ws=32M,hot=1M,hot_share=0.9", "phased:rate=30k,ws=16M,quiet=100ms,burst=100ms,quiet_rate=500",
            "kv:ws=16M,rps=20k,put=0.3", "cpu:util=0.3", "trace:file=TRACE", "sweep:rate=5k,ws=8M,zero=16M,fill=4096");

    private EveryWorkload() {}

    /** Writes the replayed trace into {@code dir}; returns its path. */
    static Path writeTrace(Path dir) throws IOException {
        Path trace = dir.resolve("trace.csv");
        Files.writeString(trace, "t,dirty_pages_per_s,cpu\n0,2000,0.1\n1,8000,0.4\n2,500,0.2\n");
        return trace;
    }

    /** Every workload crossed with {@code policies}, as (spec, policy) arguments; TRACE stands for the trace's path. */
    static Stream<Arguments> crossedWith(String... policies) {
        List<Arguments> out = new ArrayList<>();
        for (String w : SPECS) for (String p : policies) out.add(Arguments.of(w, p));
        return out.stream();
    }
}
