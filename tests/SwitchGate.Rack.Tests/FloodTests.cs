using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Attestation;
using SwitchGate.Ethernet;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>A HELLO flood from one port: the per-port meter caps what reaches the controller; another node still gets admitted.</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class FloodTests
{
    [Fact]
    public async Task A_HELLO_flood_is_capped_by_the_meter_and_another_node_still_gets_admitted()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 6, extraControllerArgs: ["--meter-rate", "20", "--meter-burst", "10"]);
        var bs1 = rack.BootServer("bs1");
        var mac = bs1.CleanMac;
        var hello = AttestationFrame.Build(AttestationFrame.ControllerDestination, mac, new Hello(0, "bs1", mac));
        const int frames = 3000;

        var flood = Task.Run(() =>
        {
            for (int i = 0; i < 10; i++) rack.SendFrames("bs1", Enumerable.Repeat(hello, frames / 10).ToArray());
        });
        var attest = await rack.AttestOnceAsync("bs2");
        await flood;
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        Assert.True((await rack.PingAsync("bs2", "prod")).Succeeded);

        // OpenFlow 1.3.5 §7.3.5.5 meter statistics: packet_in_count = packets seen by meter 1 (port 1's),
        // band packet_count = packets its drop band dropped.
        var stats = await CommandRunner.RunAsync("ovs-ofctl", "-O", "OpenFlow13", "meter-stats", rack.Topology.Names.Bridge(RackFixture.Switch), "meter=1");
        var seen = ulong.Parse(Regex.Match(stats.StandardOutput, @"packet_in_count:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var dropped = ulong.Parse(Regex.Match(stats.StandardOutput, @"0: packet_count:(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(seen >= frames / 2, stats.StandardOutput); // a few may be lost on the veth under the burst
        Assert.True(dropped >= seen / 2, $"the meter let {seen - dropped} of {seen} through:\n{stats.StandardOutput}");
    }
}
