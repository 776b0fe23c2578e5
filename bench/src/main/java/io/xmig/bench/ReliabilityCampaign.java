package io.xmig.bench;

import io.xmig.control.faults.FaultProxy.Fault;
import io.xmig.control.faults.FaultProxy.Kind;
import io.xmig.control.faults.FaultProxy.Phase;
import io.xmig.control.faults.FaultedMigration;
import io.xmig.control.faults.FaultedMigration.Result;
import io.xmig.control.faults.FaultedMigration.Where;
import io.xmig.control.policy.Policies;
import io.xmig.control.session.MigrationOptions;
import io.xmig.dataplane.hypervisor.XenHypervisor;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * {@code xmig-bench campaign --runs N --seed S}: N migrations, each with a random workload, guest size, switch policy,
 * channel count, bandwidth cap and, for about half of them, a random network fault at a random phase
 * ({@link FaultedMigration}: source, agent and fault proxy in this process). Run i draws from
 * {@code new SplittableRandom(S * 1,000,003 + i)}, so any run can be repeated alone ({@code --runs 1 --first i}). After each:
 * a completed migration must have verified every page it compares with no difference and left the guest running at
 * the destination only; any other must end where docs/FAILURES.md says for its fault and phase
 * ({@link FaultedMigration#documented}); never two running copies; log-dirty off on a source left running. Prints a
 * line per run and a summary; exits 1 if any run broke a rule. Single-threaded.
 */
public final class ReliabilityCampaign {
    static final long[] PAGES = {1024, 2048, 4096, 8192};                           // 4 to 32 MiB
    static final String[] POLICIES = {"xen-default", "downtime-limit", "postcopy-only", "postcopy-after-first-pass",
            "hybrid-threshold"};
    static final long[] BANDWIDTHS = {0, 32L << 20, 64L << 20, 128L << 20};

    /** One run's draw. */
    record Plan(int index, long pages, String workload, String policy, int channels, long bandwidth, Fault fault) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "run %d: %d MiB %s, %s, %d channels, %s, fault %s", index, pages >> 8,
                    workload, policy, channels, bandwidth == 0 ? "unlimited" : (bandwidth >> 20) + " MiB/s",
                    fault == null ? "none" : fault);
        }
    }

    /** What the campaign saw. */
    record Summary(int runs, int violations, long pagesVerified, long pagesDiffering, int faultsInjected,
                   Map<Where, Integer> outcomes) {}

    static Plan plan(long seed, int index) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + index);
        long pages = PAGES[r.nextInt(PAGES.length)];
        long wsMiB = Math.max(1, (pages >> 8) * (1 + r.nextInt(3)) / 4);         // a quarter to three quarters
        int rate = 5_000 * (1 + r.nextInt(8));
        String workload = switch (r.nextInt(6)) {
            case 0 -> "idle";
            case 1 -> "sweep:rate=" + rate + ",ws=" + wsMiB + "M";
            case 2 -> "random:rate=" + rate + ",ws=" + wsMiB + "M";
            case 3 -> "hotcold:rate=" + rate + ",ws=" + wsMiB + "M,hot=" + Math.max(64, wsMiB * 1024 / 8) + "K,hot_share=0.9";
            case 4 -> "phased:rate=" + rate + ",ws=" + wsMiB + "M,quiet=300ms,burst=300ms,quiet_rate=1k";
            default -> "kv:ws=" + wsMiB + "M,rps=" + rate + ",put=0.2";
        };
        String policy = POLICIES[r.nextInt(POLICIES.length)];
        int channels = 1 + r.nextInt(4);
        long bandwidth = BANDWIDTHS[r.nextInt(BANDWIDTHS.length)];
        Fault fault = null;
        if (r.nextBoolean()) {
            Kind[] kinds = {Kind.CUT, Kind.STALL, Kind.DELAY, Kind.TRUNCATE, Kind.DUPLICATE, Kind.CORRUPT};
            Phase phase = Phase.values()[r.nextInt(Phase.values().length)];
            fault = new Fault(kinds[r.nextInt(kinds.length)], phase, phase == Phase.PRECOPY_ROUND ? r.nextInt(3) : 0);
        }
        return new Plan(index, pages, workload, policy, channels, bandwidth, fault);
    }

    /** Runs {@code runs} migrations from index {@code first}, printing to {@code out}. */
    static Summary run(XenHypervisor hv, long seed, int first, int runs, PrintStream out) throws InterruptedException {
        int violations = 0, injected = 0;
        long verified = 0, differing = 0;
        Map<Where, Integer> outcomes = new EnumMap<>(Where.class);
        for (int i = first; i < first + runs; i++) {
            Plan p = plan(seed, i);
            MigrationOptions o = new MigrationOptions(Policies.create(p.policy()), p.policy(), p.channels(), p.bandwidth(),
                    true, Duration.ofSeconds(2), Duration.ofSeconds(3));
            Result r = FaultedMigration.run(hv, p.pages(), p.workload(), i, o, p.fault());
            List<String> broken = new ArrayList<>();
            if (!r.documented().contains(r.where())) broken.add("ended " + r.where() + ", FAILURES.md says " + r.documented());
            if (r.copiesRunning() > 1) broken.add(r.copiesRunning() + " copies running");
            if (!r.logDirtyOff()) broken.add("log-dirty left on at the source");
            long checked = r.outcome().verify() == null ? 0 : r.outcome().verify().pagesChecked();
            long diff = r.outcome().verify() == null ? 0 : r.outcome().verify().pagesDiffering();
            if (r.where() == Where.COMPLETED && !r.postcopy() && checked != p.pages()) broken.add("verified " + checked + " of " + p.pages() + " pages");
            if (r.outcome().status() == io.xmig.control.session.MigrationOutcome.Status.COMPLETED && diff != 0) broken.add(diff + " pages differ");
            verified += checked;
            differing += diff;
            if (r.faultInjected()) injected++;
            outcomes.merge(r.where(), 1, Integer::sum);
            if (!broken.isEmpty()) violations++;
            out.printf(Locale.ROOT, "%s -> %s%s (%s%s), %d pages verified, %d differing%s%n", p, r.where(),
                    p.fault() != null && !r.faultInjected() ? " (fault not reached)" : "", r.outcome().status(),
                    r.outcome().error() == null ? "" : ": " + r.outcome().error(), checked, diff,
                    broken.isEmpty() ? "" : "  VIOLATION: " + String.join("; ", broken));
            out.flush();
        }
        return new Summary(runs, violations, verified, differing, injected, outcomes);
    }

    public static void main(String[] args) throws Exception {
        int runs = 20, first = 0;
        long seed = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--first" -> first = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("usage: xmig-bench campaign [--runs N] [--seed S] [--first I]");
                    System.exit(2);
                }
            }
        }
        BenchSupport.reportJvmFlags();
        long t0 = System.nanoTime();
        Summary s;
        try (XenHypervisor hv = XenHypervisor.open()) {
            s = run(hv, seed, first, runs, System.out);
        }
        System.out.printf(Locale.ROOT, "%ncampaign seed %d: %d runs in %.0f s, %d faults injected; outcomes %s; "
                        + "%d pages verified, %d differing; %d runs broke a rule%n", seed, s.runs(),
                (System.nanoTime() - t0) / 1e9, s.faultsInjected(), s.outcomes(), s.pagesVerified(), s.pagesDiffering(),
                s.violations());
        System.exit(s.violations() == 0 && s.pagesDiffering() == 0 ? 0 : 1);
    }
}
