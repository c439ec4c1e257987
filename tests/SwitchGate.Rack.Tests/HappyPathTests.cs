namespace SwitchGate.Rack.Tests;

/// <summary>The whole life of a boot server on the rack: enrol → attest → admitted → depart → blocked → reboot → admitted again.</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class HappyPathTests
{
    [Fact]
    public async Task Enrol_attest_ping_depart_blocked_reboot_attest_admitted_again()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 6);
        var bs1 = rack.BootServer("bs1");

        // Enrolled but not attested: the clean MAC is not forwarded.
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        Assert.Contains("admitted session=", attest.Output);
        var admission = await rack.AdmissionFlowsAsync("bs1");
        Assert.Equal(2, admission.Count); // eth_src from its port, eth_dst
        Assert.Contains(admission, f => f.Matches("in_port", rack.Spec.LinkOf("bs1").Port.ToString()));
        var ping = await rack.PingAsync("bs1", "prod");
        Assert.True(ping.Succeeded, ping.Output);
        Assert.Contains("admitted/Admitted", rack.Verdicts("bs1"));

        var depart = await rack.DepartAsync("bs1");
        Assert.True(depart.Succeeded, depart + rack.ControllerOutput());
        Assert.Contains("confirmed=true", depart.Output);
        Assert.Equal(bs1.DirtyMac, await bs1.CurrentMacAsync());
        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));
        Assert.Contains("revoked/Departed", rack.Verdicts("bs1"));

        // Dirty: its traffic is dropped at table 0 by the dirty-MAC flow, whose counter moves.
        var before = await rack.DroppedAsync("dl_src", bs1.DirtyMac.ToString());
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.True(await rack.DroppedAsync("dl_src", bs1.DirtyMac.ToString()) > before);

        // A dirty node cannot attest (the NIC is not on the clean MAC).
        Assert.False((await rack.AttestOnceAsync("bs1", 5)).Succeeded);

        var reboot = await rack.RebootAsync("bs1");
        Assert.True(reboot.Succeeded, reboot.ToString());
        Assert.Equal(bs1.CleanMac, await bs1.CurrentMacAsync());
        var again = await rack.AttestOnceAsync("bs1");
        Assert.True(again.Succeeded, again + rack.ControllerOutput());
        var pingAgain = await rack.PingAsync("bs1", "prod");
        Assert.True(pingAgain.Succeeded, pingAgain.Output);
        Assert.Equal(2, rack.Verdicts("bs1").Count(v => v == "admitted/Admitted"));
    }
}
