using System.Buffers.Binary;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.TestSupport.OpenFlow;

/// <summary>
/// A frame as the switch's pipeline sees it: the header fields the gate and the forwarding tables match on. Other
/// OXM fields (ARP, IPv4, ...) go into <see cref="Other"/> as their wire values; a flow matching a field the packet
/// does not carry does not match it (OpenFlow 1.3.5 §7.2.3.6 prerequisites).
/// </summary>
public sealed record SimPacket(uint InPort, MacAddress EthSrc, MacAddress EthDst, ushort EthType, ushort? VlanVid = null)
{
    public IReadOnlyDictionary<OxmBasicField, byte[]> Other { get; init; } = new Dictionary<OxmBasicField, byte[]>();
}

/// <summary>What the pipeline did with a packet: every output (ports, CONTROLLER, FLOOD/ALL, groups) in order; none means dropped.</summary>
public sealed record SimFate(IReadOnlyList<uint> Ports, IReadOnlyList<uint> Groups, IReadOnlyList<byte> TablesVisited)
{
    public bool Dropped => Ports.Count == 0 && Groups.Count == 0;
    public bool ToController => Ports.Contains(OfpPort.Controller);
    public bool Flooded => Ports.Contains(OfpPort.Flood) || Ports.Contains(OfpPort.All);
    public bool OutputTo(uint port) => Ports.Contains(port);
    public override string ToString() =>
        Dropped ? $"dropped (tables {string.Join(",", TablesVisited)})" : $"out {string.Join(",", Ports.Select(Name))} groups {string.Join(",", Groups)} (tables {string.Join(",", TablesVisited)})";

    private static string Name(uint port) => port switch
    {
        OfpPort.Controller => "CONTROLLER",
        OfpPort.Flood => "FLOOD",
        OfpPort.All => "ALL",
        OfpPort.InPort => "IN_PORT",
        _ => port.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>
/// An in-memory OpenFlow 1.3 multi-table switch pipeline (§5) for tests: FLOW_MODs are applied as a switch applies
/// them (§6.4: ADD replaces an identical match at the same priority, MODIFY/DELETE non-strict select every flow whose
/// match is at least as specific as the request's, the strict forms need the same priority and match; DELETE honours
/// out_port, cookie/mask and OFPTT_ALL), and <see cref="Process"/> tells what happens to a packet: highest-priority
/// match per table, meters pass everything, apply-actions and the action set output, goto-table continues, a miss
/// without a table-miss flow drops (§5.4). Timeouts are not simulated. Written for SwitchGate's tests after the idea
/// of Faucet's fake OpenFlow table.
/// </summary>
public sealed class FlowTableSimulator
{
    private readonly List<Entry> _entries = [];
    private long _sequence;

    /// <summary>One installed flow.</summary>
    public sealed record Entry(byte TableId, ushort Priority, Match Match, IReadOnlyList<OfpInstruction> Instructions, ulong Cookie, ushort HardTimeout, FlowModFlags Flags)
    {
        internal long Sequence { get; init; }
    }

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public IReadOnlyList<Entry> Table(byte tableId) => [.. _entries.Where(e => e.TableId == tableId).OrderByDescending(e => e.Priority)];

    /// <summary>Applies every FLOW_MOD among <paramref name="messages"/>; other messages (meters, groups, barriers) do not change the tables.</summary>
    public void Apply(IEnumerable<OfpMessage> messages)
    {
        foreach (var message in messages)
            if (message is FlowMod flowMod)
                Apply(flowMod);
    }

    public void Apply(FlowMod mod)
    {
        switch (mod.Command)
        {
            case FlowModCommand.Add:
                _entries.RemoveAll(e => e.TableId == mod.TableId && e.Priority == mod.Priority && e.Match.Equals(mod.Match));
                _entries.Add(new Entry(mod.TableId, mod.Priority, mod.Match, mod.Instructions, mod.Cookie, mod.HardTimeout, mod.Flags) { Sequence = _sequence++ });
                break;
            case FlowModCommand.Modify or FlowModCommand.ModifyStrict:
                bool strict = mod.Command == FlowModCommand.ModifyStrict;
                for (int i = 0; i < _entries.Count; i++)
                    if (Selects(mod, _entries[i], strict, checkOutput: false))
                        _entries[i] = _entries[i] with { Instructions = mod.Instructions };
                break;
            case FlowModCommand.Delete or FlowModCommand.DeleteStrict:
                bool strictDelete = mod.Command == FlowModCommand.DeleteStrict;
                _entries.RemoveAll(e => Selects(mod, e, strictDelete, checkOutput: true));
                break;
            default:
                throw new ArgumentException($"unknown flow-mod command {mod.Command}");
        }
    }

    /// <summary>Runs <paramref name="packet"/> through the pipeline from table 0.</summary>
    public SimFate Process(SimPacket packet)
    {
        var ports = new List<uint>();
        var groups = new List<uint>();
        var actionSet = new List<OfpAction>();
        var visited = new List<byte>();
        byte table = 0;
        while (true)
        {
            visited.Add(table);
            var entry = _entries.Where(e => e.TableId == table && Matches(e.Match, packet))
                .OrderByDescending(e => e.Priority).ThenBy(e => e.Sequence).FirstOrDefault();
            if (entry is null)
                break; // table miss without a table-miss flow: drop (§5.4)
            byte? next = null;
            foreach (var instruction in entry.Instructions)
            {
                switch (instruction)
                {
                    case InstructionMeter:
                        break; // meters pass what they do not rate-limit; the simulator has no rate
                    case InstructionApplyActions apply:
                        Execute(apply.Actions, ports, groups);
                        break;
                    case InstructionClearActions:
                        actionSet.Clear();
                        break;
                    case InstructionWriteActions write:
                        actionSet.AddRange(write.Actions);
                        break;
                    case InstructionGotoTable goTo:
                        if (goTo.TableId <= table)
                            throw new InvalidOperationException($"table {table}: goto_table:{goTo.TableId} does not go forward (§5.1)");
                        next = goTo.TableId;
                        break;
                }
            }
            if (next is not { } n)
                break;
            table = n;
        }
        Execute(actionSet, ports, groups);
        return new SimFate(ports, groups, visited);
    }

    private static void Execute(IEnumerable<OfpAction> actions, List<uint> ports, List<uint> groups)
    {
        foreach (var action in actions)
        {
            if (action is ActionOutput output)
                ports.Add(output.Port);
            else if (action is ActionGroup group)
                groups.Add(group.GroupId);
        }
    }

    /// <summary>Whether <paramref name="mod"/> (MODIFY/DELETE) selects <paramref name="entry"/> (§6.4).</summary>
    private static bool Selects(FlowMod mod, Entry entry, bool strict, bool checkOutput)
    {
        if (mod.TableId != OfpTable.All && mod.TableId != entry.TableId)
            return false;
        if ((entry.Cookie & mod.CookieMask) != (mod.Cookie & mod.CookieMask))
            return false;
        if (strict ? entry.Priority != mod.Priority || !entry.Match.Equals(mod.Match) : !Subsumes(mod.Match, entry.Match))
            return false;
        if (checkOutput && mod.OutPort != OfpPort.Any && !Outputs(entry).Contains(mod.OutPort))
            return false;
        if (checkOutput && mod.OutGroup != OfpGroup.Any && !Groups(entry).Contains(mod.OutGroup))
            return false;
        return true;
    }

    private static IEnumerable<uint> Outputs(Entry entry) =>
        entry.Instructions.OfType<InstructionActions>().SelectMany(i => i.Actions).OfType<ActionOutput>().Select(a => a.Port);

    private static IEnumerable<uint> Groups(Entry entry) =>
        entry.Instructions.OfType<InstructionActions>().SelectMany(i => i.Actions).OfType<ActionGroup>().Select(a => a.GroupId);

    /// <summary>True when every field of <paramref name="filter"/> is in <paramref name="match"/> and at least as specific.</summary>
    private static bool Subsumes(Match filter, Match match)
    {
        foreach (var f in filter.Fields)
        {
            var g = match.Fields.FirstOrDefault(x => x.OxmClass == f.OxmClass && x.Field == f.Field);
            if (g is null || g.ValueSpan.Length != f.ValueSpan.Length)
                return false;
            for (int i = 0; i < f.ValueSpan.Length; i++)
            {
                byte fm = f.HasMask ? f.MaskSpan[i] : (byte)0xFF;
                byte gm = g.HasMask ? g.MaskSpan[i] : (byte)0xFF;
                if ((fm & ~gm) != 0 || ((f.ValueSpan[i] ^ g.ValueSpan[i]) & fm) != 0)
                    return false;
            }
        }
        return true;
    }

    private static bool Matches(Match match, SimPacket packet)
    {
        foreach (var field in match.Fields)
        {
            if (field.BasicField is not { } basic || PacketValue(packet, basic) is not { } value || value.Length != field.ValueSpan.Length)
                return false;
            for (int i = 0; i < value.Length; i++)
            {
                byte mask = field.HasMask ? field.MaskSpan[i] : (byte)0xFF;
                if (((value[i] ^ field.ValueSpan[i]) & mask) != 0)
                    return false;
            }
        }
        return true;
    }

    private static byte[]? PacketValue(SimPacket packet, OxmBasicField field)
    {
        switch (field)
        {
            case OxmBasicField.InPort:
                var port = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(port, packet.InPort);
                return port;
            case OxmBasicField.EthSrc:
                return packet.EthSrc.ToBytes();
            case OxmBasicField.EthDst:
                return packet.EthDst.ToBytes();
            case OxmBasicField.EthType:
                var type = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(type, packet.EthType);
                return type;
            case OxmBasicField.VlanVid:
                // OFPVID_PRESENT (0x1000) marks a tagged frame; an untagged one matches OFPVID_NONE (0) (§7.2.3.8).
                var vid = new byte[2];
                BinaryPrimitives.WriteUInt16BigEndian(vid, packet.VlanVid is { } v ? (ushort)(0x1000 | (v & 0x0FFF)) : (ushort)0);
                return vid;
            default:
                return packet.Other.TryGetValue(field, out var bytes) ? bytes : null;
        }
    }
}
