using SwitchGate.Controller.Forwarding;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;
using static SwitchGate.Controller.Tests.SessionTests;

namespace SwitchGate.Controller.Tests;

/// <summary>The pure L2 learning policy: packet-in / flow-removed / port status in, messages out.</summary>
public sealed class L2LearningTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly MacAddress A = Mac(0xA), B = Mac(0xB), C = Mac(0xC);

    private static L2Learning NewApp(int maxMacs = 100) => new(new L2LearningOptions { MaxMacsPerSwitch = maxMacs, IdleTimeoutSeconds = 60 });

    [Fact]
    public void Cold_start_installs_the_miss_flows_and_the_multicast_source_drop()
    {
        var output = new List<OfpMessage>();
        NewApp().ColdStart(T0, output);
        var flows = output.Cast<FlowMod>().ToList();
        Assert.All(flows, f => Assert.Equal(FlowModCommand.Add, f.Command));
        Assert.All(flows, f => Assert.Equal(L2Learning.BaseCookie, f.Cookie));

        var toController = Assert.Single(flows, f => f.TableId == 1 && f.Priority == 0);
        Assert.Empty(toController.Match.Fields);
        Assert.Equal(new ActionOutput(OfpPort.Controller, OfpControllerMaxLen.NoBuffer),
            Assert.Single(Assert.IsType<InstructionApplyActions>(Assert.Single(toController.Instructions)).Actions));

        var drop = Assert.Single(flows, f => f.TableId == 1 && f.Priority == L2Learning.DropMulticastSourcePriority);
        Assert.Equal(new Match([Oxm.EthSrc(new MacAddress(0x0100_0000_0000), new MacAddress(0x0100_0000_0000))]), drop.Match);
        Assert.Empty(drop.Instructions);

        var flood = Assert.Single(flows, f => f.TableId == 2);
        Assert.Equal(new ActionOutput(OfpPort.Flood, 0),
            Assert.Single(Assert.IsType<InstructionApplyActions>(Assert.Single(flood.Instructions)).Actions));
    }

    [Fact]
    public void With_flood_groups_the_miss_floods_through_the_group_and_broadcast_ARP_through_its_own()
    {
        var app = new L2Learning(new L2LearningOptions { FloodThroughGroups = true });
        var output = new List<OfpMessage>();
        app.ColdStart(T0, output);
        var flows = output.Cast<FlowMod>().ToList();
        var miss = Assert.Single(flows, f => f.TableId == 2 && f.Priority == 0);
        Assert.Equal(new ActionGroup(FloodGroups.Flood), Assert.Single(Assert.IsType<InstructionApplyActions>(Assert.Single(miss.Instructions)).Actions));
        var arp = Assert.Single(flows, f => f.TableId == 2 && f.Priority == L2Learning.BroadcastArpPriority);
        Assert.Equal(Match.Of(Oxm.EthDst(new MacAddress(0xFFFF_FFFF_FFFFUL)), Oxm.VlanVid(OfpVlanId.None), Oxm.EthType(0x0806)), arp.Match);
        Assert.Equal(new ActionGroup(FloodGroups.BroadcastArp), Assert.Single(Assert.IsType<InstructionApplyActions>(Assert.Single(arp.Instructions)).Actions));
        Assert.DoesNotContain(flows, f => f.Instructions.OfType<InstructionApplyActions>().SelectMany(i => i.Actions).Contains(new ActionOutput(OfpPort.Flood, 0)));

        // Packet-outs of the first frames: unknown unicast through Flood, untagged broadcast ARP through BroadcastArp,
        // a tagged broadcast ARP (as table 2 only matches untagged) through Flood.
        PacketOut Out(byte[] frame) => Assert.Single(app.Handle(new PacketIn(OfpBuffer.NoBuffer, (ushort)frame.Length, PacketInReason.NoMatch, 1, 0,
            new Match([Oxm.InPort(1)]), frame), T0).OfType<PacketOut>());
        byte[] Frame(ulong dst, ulong src, params byte[] typeAndMore)
        {
            var f = new byte[60];
            for (int i = 0; i < 6; i++) { f[i] = (byte)(dst >> (40 - 8 * i)); f[6 + i] = (byte)(src >> (40 - 8 * i)); }
            typeAndMore.CopyTo(f, 12);
            return f;
        }
        Assert.Equal(new ActionGroup(FloodGroups.Flood), Assert.Single(Out(Frame(0x0200_0000_00BB, 0x0200_0000_00A1, 0x08, 0x00)).Actions));
        Assert.Equal(new ActionGroup(FloodGroups.BroadcastArp), Assert.Single(Out(Frame(0xFFFF_FFFF_FFFF, 0x0200_0000_00A2, 0x08, 0x06)).Actions));
        Assert.Equal(new ActionGroup(FloodGroups.Flood), Assert.Single(Out(Frame(0xFFFF_FFFF_FFFF, 0x0200_0000_00A3, 0x81, 0x00, 0x00, 0x05, 0x08, 0x06)).Actions));
        Assert.Equal(new ActionGroup(FloodGroups.Flood), Assert.Single(Out(Frame(0xFFFF_FFFF_FFFF, 0x0200_0000_00A4, 0x08, 0x00)).Actions));
    }

    [Fact]
    public void Unknown_source_is_learned_and_unknown_destination_flooded()
    {
        var app = NewApp();
        var packetIn = PacketInFrom(1, A, B);
        var output = app.Handle(packetIn, T0);

        Assert.Equal(3, output.Count);
        var src = Assert.IsType<FlowMod>(output[0]);
        Assert.Equal((byte)1, src.TableId);
        Assert.Equal(new Match([Oxm.InPort(1), Oxm.EthSrc(A)]), src.Match);
        Assert.Equal(new InstructionGotoTable(2), Assert.Single(src.Instructions));
        Assert.Equal((ushort)60, src.IdleTimeout);
        Assert.Equal((ushort)0, src.HardTimeout);
        Assert.Equal(FlowModFlags.SendFlowRem, src.Flags);

        var dst = Assert.IsType<FlowMod>(output[1]);
        Assert.Equal((byte)2, dst.TableId);
        Assert.Equal(new Match([Oxm.EthDst(A)]), dst.Match);
        Assert.Equal(new ActionOutput(1, 0), Assert.Single(Assert.IsType<InstructionApplyActions>(Assert.Single(dst.Instructions)).Actions));
        Assert.Equal(src.Cookie, dst.Cookie);
        Assert.Equal(L2Learning.BaseCookie, src.Cookie & L2Learning.CookieMask);

        var po = Assert.IsType<PacketOut>(output[2]);
        Assert.Equal(OfpBuffer.NoBuffer, po.BufferId);
        Assert.Equal(1u, po.InPort);
        Assert.Equal(new ActionOutput(OfpPort.Flood, 0), Assert.Single(po.Actions));
        Assert.Equal(packetIn.Data, po.Data);
    }

    [Fact]
    public void Known_destination_gets_a_unicast_packet_out()
    {
        var app = NewApp();
        app.Handle(PacketInFrom(1, A, MacAddress.Broadcast), T0);
        var output = app.Handle(PacketInFrom(2, B, A), T0);
        var po = Assert.IsType<PacketOut>(output[^1]);
        Assert.Equal(new ActionOutput(1, 0), Assert.Single(po.Actions));
    }

    [Fact]
    public void Broadcast_and_multicast_destinations_flood_even_if_such_a_mac_was_seen()
    {
        var app = NewApp();
        var multicast = new MacAddress(0x0100_5E00_0001);
        app.Handle(PacketInFrom(1, A, B), T0);
        foreach (var dst in new[] { MacAddress.Broadcast, multicast })
        {
            var po = Assert.IsType<PacketOut>(app.Handle(PacketInFrom(2, C, dst), T0)[^1]);
            Assert.Equal(new ActionOutput(OfpPort.Flood, 0), Assert.Single(po.Actions));
        }
    }

    [Fact]
    public void Repeated_packet_in_within_a_second_only_forwards()
    {
        var app = NewApp();
        app.Handle(PacketInFrom(1, A, B), T0);
        var output = app.Handle(PacketInFrom(1, A, B), T0.AddMilliseconds(300));
        Assert.IsType<PacketOut>(Assert.Single(output));

        var later = app.Handle(PacketInFrom(1, A, B), T0.AddSeconds(3));
        Assert.Equal([OfpType.FlowMod, OfpType.FlowMod, OfpType.PacketOut], later.Select(m => m.Type));
    }

    [Fact]
    public void Mac_move_deletes_the_old_flows_by_cookie_then_learns_the_new_port()
    {
        var app = NewApp();
        var oldCookie = ((FlowMod)app.Handle(PacketInFrom(1, A, B), T0)[0]).Cookie;

        var output = app.Handle(PacketInFrom(3, A, B), T0.AddMilliseconds(10));

        var delete = Assert.IsType<FlowMod>(output[0]);
        Assert.Equal(FlowModCommand.Delete, delete.Command);
        Assert.Equal(OfpTable.All, delete.TableId);
        Assert.Equal(oldCookie, delete.Cookie);
        Assert.Equal(ulong.MaxValue, delete.CookieMask);
        var src = Assert.IsType<FlowMod>(output[1]);
        Assert.Equal(new Match([Oxm.InPort(3), Oxm.EthSrc(A)]), src.Match);
        Assert.NotEqual(oldCookie, src.Cookie);
        var dst = Assert.IsType<FlowMod>(output[2]);
        Assert.Equal(new ActionOutput(3, 0), Assert.Single(Assert.IsType<InstructionApplyActions>(Assert.Single(dst.Instructions)).Actions));
        Assert.True(app.TryGetPort(A, out var port));
        Assert.Equal(3u, port);
    }

    [Fact]
    public void Destination_behind_the_ingress_port_is_not_sent_back()
    {
        var app = NewApp();
        app.Handle(PacketInFrom(1, A, B), T0);
        var output = app.Handle(PacketInFrom(1, B, A), T0);
        Assert.DoesNotContain(output, m => m is PacketOut);
    }

    [Fact]
    public void Invalid_or_foreign_packet_ins_are_ignored()
    {
        var app = NewApp();
        Assert.Empty(app.Handle(PacketInFrom(1, new MacAddress(0x0100_0000_0001), B), T0)); // multicast source
        Assert.Empty(app.Handle(PacketInFrom(1, MacAddress.Zero, B), T0));
        Assert.Empty(app.Handle(PacketInFrom(1, A, B, table: 0), T0));
        Assert.Empty(app.Handle(PacketInFrom(1, A, B) with { Data = new byte[13] }, T0));
        Assert.Empty(app.Handle(PacketInFrom(1, A, B) with { Match = Match.Empty }, T0));
        Assert.Empty(app.Handle(PacketInFrom(OfpPort.Controller, A, B), T0));
        Assert.Equal(0, app.LearnedCount);
    }

    [Fact]
    public void Buffered_packet_in_is_released_by_buffer_id_without_data()
    {
        var app = NewApp();
        var output = app.Handle(PacketInFrom(1, A, B) with { BufferId = 77 }, T0);
        var po = Assert.IsType<PacketOut>(output[^1]);
        Assert.Equal(77u, po.BufferId);
        Assert.Empty(po.Data);
    }

    [Fact]
    public void Full_table_evicts_the_oldest_and_deletes_its_flows()
    {
        var app = NewApp(maxMacs: 2);
        var cookieA = ((FlowMod)app.Handle(PacketInFrom(1, A, B), T0)[0]).Cookie;
        app.Handle(PacketInFrom(2, B, A), T0);
        var output = app.Handle(PacketInFrom(3, C, A), T0);

        var evict = Assert.IsType<FlowMod>(output[0]);
        Assert.Equal((FlowModCommand.Delete, cookieA, ulong.MaxValue), (evict.Command, evict.Cookie, evict.CookieMask));
        Assert.False(app.TryGetPort(A, out _));
        Assert.Equal(2, app.LearnedCount);
        // A is unknown now: traffic to it floods.
        Assert.Equal(new ActionOutput(OfpPort.Flood, 0), Assert.Single(((PacketOut)output[^1]).Actions));
    }

    [Theory]
    [InlineData(L2Learning.EthSrcTable)]
    [InlineData(L2Learning.EthDstTable)]
    public void Expired_flow_forgets_the_mac_and_deletes_its_sibling(byte table)
    {
        var app = NewApp();
        var learned = app.Handle(PacketInFrom(1, A, B), T0);
        var flow = (FlowMod)learned[table == 1 ? 0 : 1];

        var output = new List<OfpMessage>();
        app.FlowRemoved(Removed(flow, FlowRemovedReason.IdleTimeout), T0.AddMinutes(1), output);

        var delete = Assert.IsType<FlowMod>(Assert.Single(output));
        Assert.Equal((FlowModCommand.Delete, flow.Cookie, ulong.MaxValue), (delete.Command, delete.Cookie, delete.CookieMask));
        Assert.False(app.TryGetPort(A, out _));
    }

    [Fact]
    public void Stale_or_self_inflicted_flow_removed_changes_nothing()
    {
        var app = NewApp();
        var oldFlow = (FlowMod)app.Handle(PacketInFrom(1, A, B), T0)[0];
        app.Handle(PacketInFrom(2, A, B), T0.AddSeconds(1)); // moved: new cookie

        var output = new List<OfpMessage>();
        app.FlowRemoved(Removed(oldFlow, FlowRemovedReason.IdleTimeout), T0.AddSeconds(2), output);
        app.FlowRemoved(Removed(oldFlow, FlowRemovedReason.Delete), T0.AddSeconds(2), output);
        Assert.Empty(output);
        Assert.True(app.TryGetPort(A, out var port));
        Assert.Equal(2u, port);
    }

    [Fact]
    public void Port_down_forgets_its_macs_and_deletes_their_flows()
    {
        var app = NewApp();
        app.Handle(PacketInFrom(1, A, B), T0);
        app.Handle(PacketInFrom(2, B, A), T0);
        var down = FakeSwitch.Port(1, "p1") with { State = PortState.LinkDown };

        var output = new List<OfpMessage>();
        app.PortStatus(new PortStatus(PortStatusReason.Modify, down), T0, output);

        Assert.Equal(2, output.Count);
        var bySource = Assert.IsType<FlowMod>(output[0]);
        Assert.Equal((FlowModCommand.Delete, (byte)1, L2Learning.CookieMask), (bySource.Command, bySource.TableId, bySource.CookieMask));
        Assert.Equal(new Match([Oxm.InPort(1)]), bySource.Match);
        var byOutput = Assert.IsType<FlowMod>(output[1]);
        Assert.Equal((FlowModCommand.Delete, (byte)2, 1u), (byOutput.Command, byOutput.TableId, byOutput.OutPort));
        Assert.False(app.TryGetPort(A, out _));
        Assert.True(app.TryGetPort(B, out _));

        // A live port change, or a port without learned MACs, needs nothing.
        output.Clear();
        app.PortStatus(new PortStatus(PortStatusReason.Modify, FakeSwitch.Port(2, "p2")), T0, output);
        app.PortStatus(new PortStatus(PortStatusReason.Delete, FakeSwitch.Port(5, "p5")), T0, output);
        Assert.Empty(output);
    }

    [Fact]
    public void Learning_is_per_switch()
    {
        var factory = new L2LearningFactory(new L2LearningOptions());
        var one = (L2Learning)factory.Create(null!);
        var two = (L2Learning)factory.Create(null!);
        one.Handle(PacketInFrom(1, A, B), T0);
        Assert.True(one.TryGetPort(A, out _));
        Assert.False(two.TryGetPort(A, out _));
    }

    private static FlowRemoved Removed(FlowMod flow, FlowRemovedReason reason) =>
        new(flow.Cookie, flow.Priority, reason, flow.TableId, 60, 0, flow.IdleTimeout, 0, 1, 60, flow.Match);
}
