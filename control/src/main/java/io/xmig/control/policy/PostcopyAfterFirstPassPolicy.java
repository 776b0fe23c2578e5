package io.xmig.control.policy;

import java.util.List;

/**
 * {@code postcopy-after-first-pass}: {@code virsh migrate --postcopy --postcopy-after-precopy}, one full pre-copy pass
 * and then post-copy, on QEMU.
 *
 * <p><b>Where the switch is decided.</b> Not in libvirtd: there is no {@code VIR_MIGRATE_POSTCOPY_AFTER_PRECOPY} flag
 * ({@code virDomainMigrateFlags} has {@code VIR_MIGRATE_POSTCOPY} and {@code VIR_MIGRATE_POSTCOPY_RESUME}), and
 * {@code qemuMigrationSrcWaitForCompletion} only waits. The option lives in virsh ({@code tools/virsh-domain.c},
 * libvirt/libvirt): {@code cmdMigrate} requires {@code --postcopy} with it and registers a
 * {@code VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION} callback,
 * <pre>
 * static void virshMigrateIteration(virConnectPtr conn, virDomainPtr dom, int iteration, void *opaque)
 * {
 *     if (iteration == 2) {
 *         vshDebug(ctl, VSH_ERR_DEBUG, "iteration %d finished; switching to post-copy\n", iteration - 1);
 *         if (virDomainMigrateStartPostCopy(dom, 0) &lt; 0) ...
 * </pre>
 * libvirtd forwards QEMU's {@code MIGRATION_PASS} event as that iteration ({@code qemuProcessHandleMigrationPass},
 * {@code src/qemu/qemu_process.c}); QEMU emits it from {@code migration_bitmap_sync()} ({@code migration/ram.c}) with the
 * dirty-sync count, which is 1 after the sync at setup ({@code ram_init_bitmaps}) and 2 after the sync that ends the
 * first full pass. So: after the first full pass, {@code migrate-start-postcopy}.
 *
 * <p><b>When little is dirty after the first pass.</b> QEMU does not switch then. {@code migration_iteration_run()}
 * ({@code migration/migration.c}) tests completion before it looks at {@code start_postcopy}:
 * <pre>
 * if ((!pending_size || pending_size &lt; s-&gt;threshold_size) &amp;&amp; can_switchover) {
 *     migration_completion(s);                  // plain stop-and-copy
 *     return MIG_ITERATE_BREAK;
 * }
 * if (!in_postcopy &amp;&amp; must_precopy &lt;= s-&gt;threshold_size &amp;&amp; can_switchover &amp;&amp;
 *     qatomic_read(&amp;s-&gt;start_postcopy)) {
 *     postcopy_start(s, &amp;local_err);
 * </pre>
 * and the sync that ends the first pass is itself run from that completion test ({@code ram_state_pending_exact()}),
 * so a remainder under the threshold completes the migration before virsh's command arrives. This policy does what the
 * virsh + QEMU pair does: after round 0, STOP_AND_COPY when {@link DowntimeLimitPolicy}'s rule is met at {@code limit}
 * (QEMU's {@code downtime-limit}, default 300 ms; an empty dirty set always meets it), START_POSTCOPY otherwise.
 * {@code limit=0ms} leaves only the empty dirty set to stop-and-copy, virsh's intent without QEMU's shortcut.
 *
 * <p>Differences, deliberate: QEMU keeps sending the second pass for the event's round trip through libvirtd and virsh
 * (milliseconds) before it switches; xmig switches right after round 0's CLEAN. {@link #decide} is only called after
 * round 0; for a later round (a session that went on regardless) it applies the same rule.
 *
 * <p>Immutable and stateless.
 */
public final class PostcopyAfterFirstPassPolicy implements SwitchPolicy {
    public static final String NAME = "postcopy-after-first-pass";

    private final long limitNanos;

    /** QEMU's default downtime limit, 300 ms. */
    public PostcopyAfterFirstPassPolicy() {
        this(DowntimeLimitPolicy.DEFAULT_LIMIT_NANOS);
    }

    /** @param limitNanos the downtime limit under which the first pass's remainder is stop-and-copied, 0..2000 s */
    public PostcopyAfterFirstPassPolicy(long limitNanos) {
        if (limitNanos < 0 || limitNanos > DowntimeLimitPolicy.MAX_LIMIT_NANOS) {
            throw new IllegalArgumentException("downtime limit must be 0..2000 s, not " + limitNanos + " ns");
        }
        this.limitNanos = limitNanos;
    }

    public long limitNanos() {
        return limitNanos;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Decision decide(RoundStats latest, List<RoundStats> history) {
        Reasons.previous(latest, history);
        DowntimeLimitPolicy.Check check = DowntimeLimitPolicy.check(latest, limitNanos);
        String pass = latest.round() == 0 ? "the first full pass (round 0)" : "round " + latest.round();
        if (check.fits()) {
            return Decision.stopAndCopy(pass + " left little dirty, " + check.reason()
                    + ": QEMU completes in pre-copy here before virsh's migrate-start-postcopy takes effect");
        }
        return Decision.startPostcopy(pass + " is done, switching to post-copy as virsh --postcopy-after-precopy does; "
                + check.reason());
    }

    /** The canonical spec, e.g. {@code postcopy-after-first-pass:limit=300ms}. */
    @Override
    public String toString() {
        return NAME + ":limit=" + Policies.formatDuration(limitNanos);
    }
}
