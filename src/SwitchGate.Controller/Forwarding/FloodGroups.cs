using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Forwarding;

/// <summary>
/// The two OFPGT_ALL groups through which L2 learning floods when table 0's owner decides who may hear floods
/// (<see cref="L2LearningOptions.FloodThroughGroups"/>; the attestation gate, docs/gate.md "Who hears floods").
/// OpenFlow 1.3 has no egress table and no per-port no-flood bit (OFPPC_NO_FLOOD left the spec with 1.1), so the
/// reserved port OFPP_FLOOD would reach every port; a group lists the ports explicitly instead, and its owner
/// replaces the list with one GROUP_MOD MODIFY whenever it changes. A bucket that outputs to the ingress port
/// drops that copy (§5.6.1), which is what OFPP_FLOOD did.
/// </summary>
public static class FloodGroups
{
    /// <summary>Unknown unicast, multicast and broadcast: only ports that may hear the rack.</summary>
    public const uint Flood = 1;

    /// <summary>Untagged broadcast ARP (eth_dst ff:ff:ff:ff:ff:ff, eth_type 0x0806): <see cref="Flood"/>'s ports and the admitted boot servers.</summary>
    public const uint BroadcastArp = 2;

    public static readonly MacAddress Broadcast = MacAddress.Broadcast;

    /// <summary>The whole group with one output bucket per port (ADD at cold start, MODIFY later: the list is replaced atomically, §6.5).</summary>
    public static GroupMod Group(uint groupId, IEnumerable<uint> ports, GroupModCommand command) =>
        new(command, GroupType.All, groupId, ports.Order().Select(p => new Bucket([new ActionOutput(p, 0)])).ToList());

    /// <summary>True for an untagged broadcast ARP frame (what table 2's BroadcastArp flow matches).</summary>
    public static bool IsUntaggedBroadcastArp(ReadOnlySpan<byte> frame) =>
        EthernetHeader.TryRead(frame, out var header) && header.Destination.IsBroadcast && header.EtherType == EtherTypes.Arp;
}
