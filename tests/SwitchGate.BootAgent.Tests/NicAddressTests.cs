using SwitchGate.BootAgent.Network;
using SwitchGate.Ethernet;

namespace SwitchGate.BootAgent.Tests;

/// <summary>The MAC change of departure and reboot on a real veth in a namespace of its own.</summary>
[Trait("Requires", "root")]
public sealed class NicAddressTests : IDisposable
{
    private readonly Netns _netns = new("02:00:00:00:0b:01");

    public void Dispose() => _netns.Dispose();

    [Fact]
    public void A_veth_changes_its_address_without_the_link_going_down()
    {
        var before = CarrierChanges();
        var dirty = MacAddress.Parse("02:00:00:00:0d:01");
        // setns(2) holds for the thread that calls it: the whole change (one `ip`, spawned before the first await) runs there.
        Netns.InNamespace(_netns.AgentNs, () =>
        {
            NicAddress.SetAsync(_netns.AgentIf, dirty).GetAwaiter().GetResult();
            return 0;
        });
        Assert.Equal("02:00:00:00:0d:01", _netns.AgentMac());
        Assert.Equal(before, CarrierChanges());
        Assert.Contains("UP", Netns.Ip("-n", _netns.AgentNs, "-br", "link", "show", "dev", _netns.AgentIf));
    }

    private string CarrierChanges() =>
        Netns.Ip("netns", "exec", _netns.AgentNs, "cat", $"/sys/class/net/{_netns.AgentIf}/carrier_changes").Trim();
}
