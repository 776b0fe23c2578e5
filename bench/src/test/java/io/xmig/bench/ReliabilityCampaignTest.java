package io.xmig.bench;

import io.xmig.dataplane.hypervisor.XenHypervisor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/** The short campaign: a handful of random migrations, with and without faults, every rule kept. */
class ReliabilityCampaignTest {
    @Test
    @Timeout(300)
    void aShortCampaignBreaksNoRule() throws Exception {
        ReliabilityCampaign.Summary s;
        try (XenHypervisor hv = XenHypervisor.open()) {
            s = ReliabilityCampaign.run(hv, 8, 0, 8, System.out);
        }
        assertThat(s.violations()).as("runs that broke a rule").isZero();
        assertThat(s.pagesDiffering()).isZero();
        assertThat(s.pagesVerified()).isPositive();
        assertThat(s.faultsInjected()).as("faults that played out").isPositive();
        io.xmig.dataplane.protocol.LeakWatch.assertNoLeaks("io.xmig.");
    }

    @Test
    void aRunIsReproducibleFromTheSeedAndItsIndex() {
        assertThat(ReliabilityCampaign.plan(42, 7)).isEqualTo(ReliabilityCampaign.plan(42, 7));
        assertThat(ReliabilityCampaign.plan(42, 7)).isNotEqualTo(ReliabilityCampaign.plan(42, 8));
    }
}
