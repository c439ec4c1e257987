using SwitchGate.Controller.Pipeline;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Forwarding;

/// <summary>
/// L2 learning done by the controller for ONE switch, Faucet-style in two tables
/// (docs/controller.md, "Pipeline"):
/// <list type="bullet">
/// <item>table 1 (eth_src): <c>in_port=P, eth_src=M → goto 2</c> per learned MAC; miss → controller.
///   A frame from an unknown source, or from a known source on a new port (a MAC move), misses here.</item>
/// <item>table 2 (eth_dst): <c>eth_dst=M → output P</c> per learned MAC; miss → flood. Broadcast and
///   multicast destinations are never learned, so they always flood.</item>
/// </list>
/// Flooding is OFPP_FLOOD, or, with <see cref="L2LearningOptions.FloodThroughGroups"/>, the groups of
/// <see cref="FloodGroups"/> that table 0's owner (the attestation gate) keeps: untagged broadcast ARP through
/// <see cref="FloodGroups.BroadcastArp"/>, everything else through <see cref="FloodGroups.Flood"/>.
/// Both flows of a MAC share one cookie (app tag + generation) and carry OFPFF_SEND_FLOW_REM: when
/// either idles out, the switch reports it and the other is deleted by cookie, so the switch and this
/// table never disagree for long. Pure: packet-in and <c>now</c> in, flow-mods and packet-outs out.
/// </summary>
public sealed class L2Learning : ISwitchApp
{
    /// <summary>Default tables (<see cref="L2LearningOptions.FirstTable"/> = 1); with the attestation gate they are 2 and 3.</summary>
    public const byte EthSrcTable = 1;
    public const byte EthDstTable = 2;

    /// <summary>Upper 16 bits of the cookies of this app's flows ("L2").</summary>
    public const ushort CookieTag = 0x4C32;
    public const ulong CookieMask = 0xFFFF_0000_0000_0000;
    public const ulong BaseCookie = (ulong)CookieTag << 48;

    public const ushort MissPriority = 0;
    public const ushort LearnedPriority = 100;
    public const ushort DropMulticastSourcePriority = 200;
    /// <summary>Table 2, below every learned destination: untagged broadcast ARP → <see cref="FloodGroups.BroadcastArp"/>.</summary>
    public const ushort BroadcastArpPriority = 1;

    private static readonly Match MatchAll = Match.Empty;
    private static readonly MacAddress GroupBit = new(0x0100_0000_0000UL); // IEEE 802 §8.2 I/G bit
    private static readonly IReadOnlyList<OfpAction> FloodPortActions = [new ActionOutput(OfpPort.Flood, 0)];
    private static readonly IReadOnlyList<OfpAction> FloodGroupActions = [new ActionGroup(FloodGroups.Flood)];
    private static readonly IReadOnlyList<OfpAction> BroadcastArpActions = [new ActionGroup(FloodGroups.BroadcastArp)];

    private const int MaxCachedPorts = 1024;

    private readonly L2LearningOptions _options;
    private readonly IReadOnlyList<OfpAction> _floodActions;
    private readonly IReadOnlyList<OfpInstruction> _gotoDestination;

    /// <summary>The eth_src table (learning, miss → controller).</summary>
    public byte SourceTable { get; }

    /// <summary>The eth_dst table (output per learned MAC, miss → flood).</summary>
    public byte DestinationTable { get; }
    private readonly MacTable _macs;
    private readonly Dictionary<uint, IReadOnlyList<OfpAction>> _outputActions = new();
    private readonly Dictionary<uint, IReadOnlyList<OfpInstruction>> _outputInstructions = new();

    public L2Learning(L2LearningOptions options)
    {
        _options = options;
        SourceTable = options.FirstTable;
        DestinationTable = (byte)(options.FirstTable + 1);
        _gotoDestination = [new InstructionGotoTable(DestinationTable)];
        _floodActions = options.FloodThroughGroups ? FloodGroupActions : FloodPortActions;
        _macs = new MacTable(options.MaxMacsPerSwitch, CookieTag, options.ReinstallAfter);
    }

    public int LearnedCount => _macs.Count;

    public bool TryGetPort(MacAddress mac, out uint port) => _macs.TryGetPort(mac.Value, out port);

    public void ColdStart(DateTimeOffset now, List<OfpMessage> output)
    {
        // Cold start has just deleted every flow of the switch: forget what we had learned.
        _macs.Clear();
        // Whole frames to the controller (OFPCML_NO_BUFFER, §7.2.5): no switch buffer to manage.
        output.Add(BaseFlow(SourceTable, MissPriority, MatchAll,
            [new InstructionApplyActions([new ActionOutput(OfpPort.Controller, OfpControllerMaxLen.NoBuffer)])]));
        // A group (multicast) address is never a valid source (IEEE 802 §8.2): drop, no instructions.
        output.Add(BaseFlow(SourceTable, DropMulticastSourcePriority, new Match([Oxm.EthSrc(GroupBit, GroupBit)]), []));
        output.Add(BaseFlow(DestinationTable, MissPriority, MatchAll, [new InstructionApplyActions(_floodActions)]));
        if (_options.FloodThroughGroups)
        {
            // Untagged only (vlan_vid = OFPVID_NONE), like IsUntaggedBroadcastArp for the packet-outs.
            output.Add(BaseFlow(DestinationTable, BroadcastArpPriority,
                Match.Of(Oxm.EthDst(FloodGroups.Broadcast), Oxm.VlanVid(OfpVlanId.None), Oxm.EthType(EtherTypes.Arp)),
                [new InstructionApplyActions(BroadcastArpActions)]));
        }
    }

    /// <summary>A permanent flow of the cold-start set (<see cref="BaseCookie"/>), not buffered, any out port or group.</summary>
    private static FlowMod BaseFlow(byte tableId, ushort priority, Match match, IReadOnlyList<OfpInstruction> instructions) => new()
    {
        Cookie = BaseCookie,
        TableId = tableId,
        Command = FlowModCommand.Add,
        Priority = priority,
        BufferId = OfpBuffer.NoBuffer,
        OutPort = OfpPort.Any,
        OutGroup = OfpGroup.Any,
        Match = match,
        Instructions = instructions,
    };

    /// <summary>Convenience for tests: the messages answering one packet-in.</summary>
    public List<OfpMessage> Handle(PacketIn packetIn, DateTimeOffset now)
    {
        var output = new List<OfpMessage>(4);
        PacketIn(packetIn, now, output);
        return output;
    }

    public void PacketIn(PacketIn packetIn, DateTimeOffset now, List<OfpMessage> output)
    {
        if (packetIn.TableId != SourceTable)
            return;
        if (packetIn.Match.InPort is not uint inPort || inPort > OfpPort.Max)
            return;
        if (!EthernetHeader.TryRead(packetIn.Data, out var header))
            return;
        ulong dst = header.Destination.Value;
        ulong src = header.Source.Value;
        if ((src & GroupBit.Value) != 0 || src == 0)
            return; // invalid source: never learned (table 1 drops multicast sources anyway)

        var learned = _macs.Learn(src, inPort, now);
        if (learned.Evicted)
            output.Add(DeleteByCookie(learned.EvictedCookie));
        switch (learned.Outcome)
        {
            case LearnOutcome.Moved:
                output.Add(DeleteByCookie(learned.OldCookie));
                AddFlows(new MacAddress(src), inPort, learned.Cookie, output);
                break;
            case LearnOutcome.Learned:
            case LearnOutcome.Reinstall:
                AddFlows(new MacAddress(src), inPort, learned.Cookie, output);
                break;
        }

        // Forward this frame: the flows only catch the next ones.
        IReadOnlyList<OfpAction> actions;
        if ((dst & GroupBit.Value) == 0 && _macs.TryGetPort(dst, out uint outPort))
        {
            if (outPort == inPort)
                return; // destination sits behind the port it came from: nothing to do
            actions = OutputActions(outPort);
        }
        else if (_options.FloodThroughGroups && FloodGroups.IsUntaggedBroadcastArp(packetIn.Data))
        {
            actions = BroadcastArpActions;
        }
        else
        {
            actions = _floodActions;
        }
        bool buffered = packetIn.BufferId != OfpBuffer.NoBuffer;
        // §7.3.7: data only when the switch did not buffer the frame.
        output.Add(new PacketOut(packetIn.BufferId, inPort, actions, buffered ? [] : packetIn.Data));
    }

    public void FlowRemoved(FlowRemoved removed, DateTimeOffset now, List<OfpMessage> output)
    {
        // Deletions are our own doing (moves, evictions, cold start); only expiry means "forget".
        if (removed.Reason is not (FlowRemovedReason.IdleTimeout or FlowRemovedReason.HardTimeout))
            return;
        if ((removed.Cookie & CookieMask) != BaseCookie)
            return;
        MacAddress? mac = removed.TableId == SourceTable ? removed.Match.EthSrc
            : removed.TableId == DestinationTable ? removed.Match.EthDst
            : null;
        // A stale report (the MAC was re-learned since, with a new cookie) changes nothing.
        if (mac is { } m && _macs.Remove(m.Value, removed.Cookie))
            output.Add(DeleteByCookie(removed.Cookie));
    }

    public void PortStatus(PortStatus status, DateTimeOffset now, List<OfpMessage> output)
    {
        var desc = status.Desc;
        bool gone = status.Reason == PortStatusReason.Delete
            || (desc.State & PortState.LinkDown) != 0
            || (desc.Config & PortConfig.PortDown) != 0;
        if (!gone)
            return;
        // Hosts behind a dead port must be re-learned wherever they show up next.
        if (_macs.RemovePort(desc.PortNo).Count == 0)
            return;
        output.Add(new FlowMod
        {
            Cookie = BaseCookie,
            CookieMask = CookieMask,
            TableId = SourceTable,
            Command = FlowModCommand.Delete,
            BufferId = OfpBuffer.NoBuffer,
            OutPort = OfpPort.Any,
            OutGroup = OfpGroup.Any,
            Match = new Match([Oxm.InPort(desc.PortNo)]),
            Instructions = [],
        });
        output.Add(new FlowMod
        {
            Cookie = BaseCookie,
            CookieMask = CookieMask,
            TableId = DestinationTable,
            Command = FlowModCommand.Delete,
            BufferId = OfpBuffer.NoBuffer,
            // §7.3.4.2: out_port restricts a delete to flows that output to that port.
            OutPort = desc.PortNo,
            OutGroup = OfpGroup.Any,
            Match = MatchAll,
            Instructions = [],
        });
    }

    private void AddFlows(MacAddress mac, uint port, ulong cookie, List<OfpMessage> output)
    {
        var learnedSource = new FlowMod
        {
            Cookie = cookie,
            TableId = SourceTable,
            Command = FlowModCommand.Add,
            IdleTimeout = _options.IdleTimeoutSeconds,
            Priority = LearnedPriority,
            Flags = FlowModFlags.SendFlowRem,
            Match = new Match([Oxm.InPort(port), Oxm.EthSrc(mac)]),
            Instructions = _gotoDestination,
        };
        output.Add(learnedSource);
        // The destination flow differs only in its table, match and instructions.
        output.Add(learnedSource with { TableId = DestinationTable, Match = new Match([Oxm.EthDst(mac)]), Instructions = OutputInstructions(port) });
    }

    /// <summary>Deletes both flows of one installation: the cookie is unique to it, in every table (OFPTT_ALL).</summary>
    private static FlowMod DeleteByCookie(ulong cookie) => new()
    {
        Cookie = cookie,
        CookieMask = ulong.MaxValue,
        TableId = OfpTable.All,
        Command = FlowModCommand.Delete,
        BufferId = OfpBuffer.NoBuffer,
        OutPort = OfpPort.Any,
        OutGroup = OfpGroup.Any,
        Match = MatchAll,
        Instructions = [],
    };

    // Per-port action lists are immutable and shared between messages; the cache is bounded because
    // port numbers come from the switch.
    private IReadOnlyList<OfpAction> OutputActions(uint port)
    {
        if (_outputActions.TryGetValue(port, out var actions))
            return actions;
        actions = [new ActionOutput(port, 0)];
        if (_outputActions.Count < MaxCachedPorts)
            _outputActions[port] = actions;
        return actions;
    }

    private IReadOnlyList<OfpInstruction> OutputInstructions(uint port)
    {
        if (_outputInstructions.TryGetValue(port, out var instructions))
            return instructions;
        instructions = [new InstructionApplyActions(OutputActions(port))];
        if (_outputInstructions.Count < MaxCachedPorts)
            _outputInstructions[port] = instructions;
        return instructions;
    }
}

/// <summary>Creates one <see cref="L2Learning"/> per switch.</summary>
public sealed class L2LearningFactory(L2LearningOptions options) : ISwitchAppFactory
{
    public string Name => "l2-learning";
    public IReadOnlyList<byte> Tables { get; } = [options.FirstTable, (byte)(options.FirstTable + 1)];
    public ISwitchApp Create(ISwitchView sw) => new L2Learning(options);
}
