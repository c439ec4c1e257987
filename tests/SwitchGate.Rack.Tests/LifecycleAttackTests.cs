using System.Diagnostics;

namespace SwitchGate.Rack.Tests;

/// <summary>Attacks on the life around an admission: a dead controller, a rebooted node (the HELLO flood is FloodTests).</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class LifecycleAttackTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    /// <summary>
    /// The controller is SIGKILLed while bs1 is admitted: no one is left to revoke, yet the switch ends the admission
    /// itself when the lease (the flows' hard_timeout) runs out, and bs1 can no longer reach the production host.
    /// </summary>
    [Fact]
    public async Task Controller_killed_while_admitted_the_switch_ends_the_admission_when_the_lease_runs_out()
    {
        const int lease = 5;
        await using var rack = await RackFixture.StartAsync(leaseSeconds: lease);
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        var ping = await rack.PingAsync("bs1", "prod");
        Assert.True(ping.Succeeded, ping.Output);

        await rack.KillControllerAsync();
        var killed = Stopwatch.StartNew();
        await rack.Topology.WaitForControllerConnectionAsync(RackFixture.Switch, connected: false, Patience);
        await rack.WaitForNoAdmissionAsync("bs1", TimeSpan.FromSeconds(lease + 30));
        Assert.True(killed.Elapsed <= TimeSpan.FromSeconds(lease + 30));

        Assert.False(await rack.Topology.IsControllerConnectedAsync(RackFixture.Switch));
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
        // The gate's locks stay: the clean MAC is still dropped at table 0 without a controller.
        Assert.True(await rack.DroppedAsync("dl_src", rack.BootServer("bs1").CleanMac.ToString()) > 0);
    }

    /// <summary>
    /// bs1 reboots while admitted (TPM power cycle: resetCount + 1) and attests again: the gate revokes the running
    /// admission RebootDetected before evaluating the new quote, so the old session's flows leave the switch and only
    /// the new session's flows are there.
    /// </summary>
    [Fact]
    public async Task A_node_that_reboots_while_admitted_is_revoked_reboot_detected()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 30);
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        var oldCookies = (await rack.AdmissionFlowsAsync("bs1")).Select(f => f.Cookie).ToHashSet();
        Assert.NotEmpty(oldCookies);

        var reboot = await rack.RebootAsync("bs1");
        Assert.True(reboot.Succeeded, reboot.ToString());
        var again = await rack.AttestOnceAsync("bs1");

        await rack.WaitForVerdictAsync("bs1", "revoked/RebootDetected", Patience);
        var verdicts = rack.Verdicts("bs1");
        Assert.True(verdicts.ToList().IndexOf("revoked/RebootDetected") > verdicts.ToList().IndexOf("admitted/Admitted"), string.Join(", ", verdicts));
        Assert.True(again.Succeeded, again + rack.ControllerOutput());
        var flows = await rack.AdmissionFlowsAsync("bs1");
        Assert.Equal(2, flows.Count);
        Assert.DoesNotContain(flows, f => oldCookies.Contains(f.Cookie));
    }
}
