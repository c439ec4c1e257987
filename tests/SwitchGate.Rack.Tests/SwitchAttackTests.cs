using SwitchGate.Attestation;
using SwitchGate.Ethernet;

namespace SwitchGate.Rack.Tests;

/// <summary>Attacks on the switch pipeline (table 0) with spoofed MACs and attestation frames from the wrong port.</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class SwitchAttackTests
{
    private const string ForeignMac = "02:00:00:00:0e:01";

    [Fact]
    public async Task Dirty_clean_and_foreign_MACs_are_dropped_except_the_clean_MAC_from_its_port_while_admitted()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 30);
        var bs1 = rack.BootServer("bs1");
        string clean = bs1.CleanMac.ToString(), dirty = bs1.DirtyMac.ToString();

        // Positive control: an ordinary host on its own MAC reaches the production host.
        Assert.True((await rack.PingAsync("h1", "prod")).Succeeded);

        // The clean MAC before admission, from its own port: dropped by the priority-700 flow.
        var cleanDrops = await rack.DroppedAsync("dl_src", clean);
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.True(await rack.DroppedAsync("dl_src", clean) > cleanDrops);

        // The dirty MAC from another port (h1 pretends to be bs1 booted dirty): dropped everywhere.
        await rack.SetMacAsync("h1", dirty);
        var dirtyDrops = await rack.DroppedAsync("dl_src", dirty);
        Assert.False((await rack.PingAsync("h1", "prod")).Succeeded);
        Assert.True(await rack.DroppedAsync("dl_src", dirty) > dirtyDrops);

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded);

        // The clean MAC spoofed from another port while the node is admitted: still dropped (admission is in_port-bound).
        await rack.SetMacAsync("h1", clean);
        cleanDrops = await rack.DroppedAsync("dl_src", clean);
        Assert.False((await rack.PingAsync("h1", "prod")).Succeeded);
        Assert.True(await rack.DroppedAsync("dl_src", clean) > cleanDrops);
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded, "the real node keeps working");

        // Another source MAC on the enrolled port (the admitted node's OS switches MAC): the port lock drops it (its
        // ARP, which claims bs1's address, already the locked-address ARP drop).
        var port = rack.Spec.LinkOf("bs1").Port.ToString();
        var address = rack.Spec.Host("bs1").Address.ToString();
        ulong PortLockPackets(IReadOnlyList<SwitchGate.Topology.OvsFlow> flows) =>
            flows.Where(f => f.Table == 0 && (f.Priority == 600 && f.Matches("in_port", port) || f.Priority == 880 && f.Matches("arp_spa", address)))
                .Aggregate(0UL, (s, f) => s + f.Packets);
        var locked = PortLockPackets(await rack.FlowsAsync());
        await rack.SetMacAsync("bs1", ForeignMac);
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.True(PortLockPackets(await rack.FlowsAsync()) > locked);

        // The dirty MAC from the enrolled port itself, also while admitted: dropped by the priority-900 flow.
        await rack.SetMacAsync("bs1", dirty);
        dirtyDrops = await rack.DroppedAsync("dl_src", dirty);
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
        Assert.True(await rack.DroppedAsync("dl_src", dirty) > dirtyDrops);

        // Nothing addressed to the dirty MAC is delivered either (priority-900 eth_dst drop).
        var toDirty = await rack.DroppedAsync("dl_dst", dirty);
        rack.SendFrames("prod", RawFrames.Ethernet(dirty, "02:00:00:00:00:0a", 0x88B6, new byte[46]));
        await Task.Delay(300);
        Assert.True(await rack.DroppedAsync("dl_dst", dirty) > toDirty);

        // Back on the clean MAC, the admission (lease 30 s) still forwards.
        await rack.SetMacAsync("bs1", clean);
        Assert.True((await rack.PingAsync("bs1", "prod")).Succeeded);
    }

    [Fact]
    public async Task A_HELLO_from_an_unenrolled_port_gets_no_verdict_while_the_same_HELLO_from_the_enrolled_port_does()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 6);
        var bs1 = rack.BootServer("bs1");
        var hello = AttestationFrame.Build(AttestationFrame.ControllerDestination, bs1.CleanMac,
            new Hello(0, "bs1", bs1.CleanMac));

        // From h1's port, spoofing bs1's name and clean MAC: the frame reaches the controller (the per-port
        // attestation flow counts it) but no node is enrolled on that port, so it is dropped unanswered.
        var h1Port = rack.Spec.LinkOf("h1").Port.ToString();
        ulong ToController(IReadOnlyList<SwitchGate.Topology.OvsFlow> flows, string port) =>
            flows.Where(f => f.Table == 0 && f.Priority == 1000 && f.Matches("in_port", port)).Aggregate(0UL, (s, f) => s + f.Packets);
        var before = ToController(await rack.FlowsAsync(), h1Port);
        await rack.SetMacAsync("h1", bs1.CleanMac.ToString());
        rack.SendFrames("h1", hello, hello, hello);
        await rack.WaitForFlowsAsync(f => ToController(f, h1Port) >= before + 3, TimeSpan.FromSeconds(5), "the HELLOs to pass the attestation flow");
        await Task.Delay(1000);
        Assert.DoesNotContain(rack.AuditEntries(), e => e.TryGetProperty("verdict", out _));

        // Positive control: a HELLO with a CLEAN_MAC that is not bs1's, from bs1's own port, is answered (denied).
        var wrong = AttestationFrame.Build(AttestationFrame.ControllerDestination, MacAddress.Parse("02-00-00-00-0E-01"),
            new Hello(0, "bs1", MacAddress.Parse("02-00-00-00-0E-01")));
        rack.SendFrames("bs1", wrong);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!rack.Verdicts("bs1").Contains("denied/CleanMacMismatch") && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Contains("denied/CleanMacMismatch", rack.Verdicts("bs1"));
        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));
    }
}
