package io.xmig.bench;

import io.xmig.dataplane.hypervisor.GuestSimulator;
import io.xmig.dataplane.hypervisor.Hypervisor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/** What the benchmarks share: the simulator, a seeded random page list, and a check of the JVM's flags. */
final class BenchSupport {
    /** The flag without which every FFM downcall prints a restricted-method warning (xmig-jvm.flags). */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    private static final AtomicBoolean FLAGS_REPORTED = new AtomicBoolean();

    private BenchSupport() {}

    /** The simulator's controls; the benchmarks need it (they create domains and make the guest write). */
    static GuestSimulator simulator(Hypervisor hv) {
        return hv.simulator().orElseThrow(() -> new IllegalStateException(
                "the benchmarks need the simulator: run them with -Dxmig.hypervisor=sim (the default)"));
    }

    /**
     * {@code count} distinct page numbers out of {@code [0, pages)}, uniformly at random from {@code seed} (a partial
     * Fisher-Yates shuffle), as u64s in a segment of {@code arena} (at least one element long, so count 0 works).
     */
    static MemorySegment randomPages(Arena arena, long pages, int count, long seed) {
        if (count < 0 || count > pages || pages > Integer.MAX_VALUE) throw new IllegalArgumentException(count + " of " + pages);
        int[] perm = new int[(int) pages];
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        SplittableRandom rnd = new SplittableRandom(seed);
        MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG, Math.max(1, count));
        for (int i = 0; i < count; i++) {
            int j = i + rnd.nextInt(perm.length - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
            out.setAtIndex(ValueLayout.JAVA_LONG, i, perm[i]);
        }
        return out;
    }

    /**
     * Prints this JVM's input arguments once per JVM, so a JMH run shows what its forks were started with, and warns
     * when the native-access flag is missing (JMH forks inherit the host JVM's flags unless -jvmArgs replaces them).
     */
    static void reportJvmFlags() {
        if (!FLAGS_REPORTED.compareAndSet(false, true)) return;
        List<String> args = ManagementFactory.getRuntimeMXBean().getInputArguments();
        System.out.println(System.lineSeparator() + "# xmig-bench JVM " + ProcessHandle.current().pid() + " flags: " + String.join(" ", args));
        if (!args.contains(NATIVE_ACCESS)) {
            System.out.println("# WARNING: this JVM lacks " + NATIVE_ACCESS + " (not started by bin/xmig-bench, or -jvmArgs "
                    + "replaced the inherited flags: use -jvmArgsAppend)");
        }
    }
}
