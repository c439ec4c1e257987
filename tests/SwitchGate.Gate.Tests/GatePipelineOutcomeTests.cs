using SwitchGate.Attestation;
using SwitchGate.Ethernet;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// The gate's flows installed into the flow-table simulator, asserted by what happens to frames (dropped, to the
/// controller, forwarded) rather than by priorities: a change of priorities that keeps the behaviour passes, one that
/// breaks it fails here.
/// </summary>
public sealed class GatePipelineOutcomeTests
{
    private const uint NodePort = 1, HostPort = 10, OtherPort = 20;
    private static readonly MacAddress Clean = new(0x0200_0000_0B01), Dirty = new(0x0200_0000_0D01);
    private static readonly MacAddress Host = new(0x0200_0000_000A), Attacker = new(0x0200_0000_0001);
    private const ushort Ipv4 = 0x0800;

    private static FlowTableSimulator GatedSwitch()
    {
        var sim = new FlowTableSimulator();
        sim.Apply([
            .. new[] { NodePort, HostPort, OtherPort }.Select(GateFlows.AttestationToController),
            GateFlows.AttestationDropOther(),
            .. GateFlows.VlanStackDrops(),
            GateFlows.DefaultToForwarding(),
            GateFlows.DefaultDestination(),
            .. GateFlows.NodeStatic(1, NodePort, Clean, Dirty),
            // Stand-in for L2 learning in the forwarding table: flood everything.
            new FlowMod { TableId = GateFlows.ForwardingTable, Priority = 0, Instructions = [new InstructionApplyActions([new ActionOutput(OfpPort.Flood)])] },
        ]);
        return sim;
    }

    private static void Admit(FlowTableSimulator sim) =>
        sim.Apply(GateFlows.Admission(NodePort, Clean, GateFlows.Cookie(GateFlows.CookieKind.Admission, 1, 1), 30));

    private static SimPacket Frame(uint port, MacAddress src, MacAddress dst, ushort type = Ipv4) => new(port, src, dst, type);

    [Fact]
    public void Attestation_frames_go_to_the_controller_from_every_port_and_are_never_forwarded()
    {
        var sim = GatedSwitch();
        foreach (var port in new[] { NodePort, HostPort, OtherPort })
        {
            var fate = sim.Process(Frame(port, Clean, MacAddress.Broadcast, AttestationFrame.EtherType));
            Assert.True(fate.ToController, fate.ToString());
            Assert.False(fate.Flooded, fate.ToString());
        }
        Assert.True(sim.Process(Frame(99, Attacker, Host, AttestationFrame.EtherType)).Dropped); // a port without its metered flow
    }

    [Fact]
    public void A_node_not_admitted_is_cut_off_both_ways_and_its_port_is_locked()
    {
        var sim = GatedSwitch();
        Assert.True(sim.Process(Frame(NodePort, Clean, Host)).Dropped);
        Assert.True(sim.Process(Frame(HostPort, Host, Clean)).Dropped);
        Assert.True(sim.Process(Frame(NodePort, Attacker, Host)).Dropped);
        Assert.True(sim.Process(Frame(HostPort, Host, Attacker)).Flooded); // ordinary hosts are not affected
    }

    [Fact]
    public void An_admitted_node_is_forwarded_until_its_admission_is_deleted()
    {
        var sim = GatedSwitch();
        Admit(sim);
        Assert.True(sim.Process(Frame(NodePort, Clean, Host)).Flooded);
        Assert.True(sim.Process(Frame(HostPort, Host, Clean)).Flooded);

        sim.Apply(GateFlows.DeleteAdmission(NodePort, Clean));
        Assert.True(sim.Process(Frame(NodePort, Clean, Host)).Dropped);
        Assert.True(sim.Process(Frame(HostPort, Host, Clean)).Dropped);
    }

    [Fact]
    public void Admitted_or_not_the_dirty_MAC_and_a_spoofed_clean_MAC_are_dropped()
    {
        var sim = GatedSwitch();
        Admit(sim);
        Assert.True(sim.Process(Frame(NodePort, Dirty, Host)).Dropped);
        Assert.True(sim.Process(Frame(HostPort, Host, Dirty)).Dropped);
        Assert.True(sim.Process(Frame(OtherPort, Clean, Host)).Dropped); // the clean MAC from another port
        Assert.True(sim.Process(Frame(NodePort, Clean, Host, 0x8100)).Dropped); // VLAN-stacked: cannot be judged
    }

    [Fact]
    public void Deleting_a_node_by_cookie_reopens_its_port_to_nothing_but_the_default()
    {
        var sim = GatedSwitch();
        sim.Apply([GateFlows.DeleteNodeStatic(1)]);
        Assert.True(sim.Process(Frame(NodePort, Attacker, Host)).Flooded);
    }
}

/// <summary>The simulator itself: the flow-mod semantics it claims (OpenFlow 1.3.5 §6.4).</summary>
public sealed class FlowTableSimulatorTests
{
    private static FlowMod Flow(ushort priority, Match match, params OfpAction[] actions) =>
        new() { Priority = priority, Match = match, Instructions = [new InstructionApplyActions(actions)] };

    private static readonly SimPacket Packet = new(3, new MacAddress(0x0200_0000_0001), new MacAddress(0x0200_0000_0002), 0x0800);

    [Fact]
    public void Highest_priority_wins_and_a_miss_drops()
    {
        var sim = new FlowTableSimulator();
        Assert.True(sim.Process(Packet).Dropped);
        sim.Apply([Flow(10, Match.Empty, new ActionOutput(1)), Flow(20, Match.Of(Oxm.InPort(3)), new ActionOutput(2))]);
        Assert.Equal([2u], sim.Process(Packet).Ports);
        Assert.Equal([1u], sim.Process(Packet with { InPort = 4 }).Ports);
    }

    [Fact]
    public void Add_with_the_same_match_and_priority_replaces()
    {
        var sim = new FlowTableSimulator();
        sim.Apply([Flow(10, Match.Of(Oxm.InPort(3)), new ActionOutput(1)), Flow(10, Match.Of(Oxm.InPort(3)), new ActionOutput(2))]);
        Assert.Single(sim.Entries);
        Assert.Equal([2u], sim.Process(Packet).Ports);
    }

    [Fact]
    public void Non_strict_delete_takes_every_more_specific_flow_strict_only_the_exact_one()
    {
        var sim = new FlowTableSimulator();
        sim.Apply([
            Flow(10, Match.Of(Oxm.InPort(3)), new ActionOutput(1)),
            Flow(20, Match.Of(Oxm.InPort(3), Oxm.EthSrc(Packet.EthSrc)), new ActionOutput(2)),
            Flow(30, Match.Of(Oxm.InPort(4)), new ActionOutput(3)),
        ]);
        sim.Apply(new FlowMod { Command = FlowModCommand.DeleteStrict, Priority = 10, Match = Match.Of(Oxm.InPort(3)) });
        Assert.Equal(2, sim.Entries.Count);
        sim.Apply(new FlowMod { Command = FlowModCommand.Delete, Match = Match.Of(Oxm.InPort(3)) });
        Assert.Equal([(ushort)30], sim.Entries.Select(e => e.Priority));
    }

    [Fact]
    public void Delete_honours_out_port_and_cookie_mask()
    {
        var sim = new FlowTableSimulator();
        sim.Apply([
            Flow(10, Match.Of(Oxm.InPort(1)), new ActionOutput(5)) with { Cookie = 0xA1 },
            Flow(10, Match.Of(Oxm.InPort(2)), new ActionOutput(6)) with { Cookie = 0xB1 },
        ]);
        sim.Apply(new FlowMod { Command = FlowModCommand.Delete, TableId = OfpTable.All, OutPort = 6 });
        Assert.Equal([0xA1UL], sim.Entries.Select(e => e.Cookie));
        sim.Apply(new FlowMod { Command = FlowModCommand.Delete, Cookie = 0xB0, CookieMask = 0xF0 });
        Assert.Single(sim.Entries);
        sim.Apply(new FlowMod { Command = FlowModCommand.Delete, Cookie = 0xA0, CookieMask = 0xF0 });
        Assert.Empty(sim.Entries);
    }

    [Fact]
    public void Goto_table_meters_and_the_action_set()
    {
        var sim = new FlowTableSimulator();
        sim.Apply([
            new FlowMod { Priority = 1, Instructions = [new InstructionMeter(3), new InstructionWriteActions([new ActionOutput(7)]), new InstructionGotoTable(2)] },
            new FlowMod { TableId = 2, Priority = 1, Match = Match.Of(Oxm.EthDst(Packet.EthDst)), Instructions = [new InstructionApplyActions([new ActionOutput(OfpPort.Controller)])] },
        ]);
        var fate = sim.Process(Packet);
        Assert.Equal([OfpPort.Controller, 7u], fate.Ports);
        Assert.Equal([(byte)0, (byte)2], fate.TablesVisited);
        Assert.Equal([7u], sim.Process(Packet with { EthDst = MacAddress.Broadcast }).Ports); // miss in table 2: the action set still runs
    }

    [Fact]
    public void Vlan_and_masked_matches()
    {
        var sim = new FlowTableSimulator();
        sim.Apply([Flow(10, Match.Of(Oxm.EthDst(new MacAddress(0x0100_0000_0000), new MacAddress(0x0100_0000_0000))), new ActionOutput(OfpPort.Flood))]);
        Assert.True(sim.Process(Packet with { EthDst = MacAddress.Broadcast }).Flooded);
        Assert.True(sim.Process(Packet).Dropped);
    }
}
