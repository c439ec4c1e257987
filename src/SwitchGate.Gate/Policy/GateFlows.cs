using System.Net;
using SwitchGate.Attestation;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Policy;

/// <summary>
/// The flows of the gate's two tables (docs/gate.md "Tables 0 and 1"). Pure builders: every flow, group, priority,
/// cookie and timeout of the gate is written here and nowhere else. Table 0 judges the source (port, MAC, ARP claims),
/// table 1 the destination; each stage's "allow" flows only skip checks of their own stage, so a frame is forwarded
/// only if both its source and its destination are allowed (one table cannot express that AND: an allow for an
/// admitted destination would skip the port locks of the sender).
/// </summary>
public static class GateFlows
{
    /// <summary>Source stage.</summary>
    public const byte GateTable = 0;
    /// <summary>Destination stage.</summary>
    public const byte DestinationTable = 1;
    /// <summary>First table of forwarding (L2 learning's eth_src table) behind the gate.</summary>
    public const byte ForwardingTable = 2;

    public const ushort PriorityAttestation = 1000;
    /// <summary>A VLAN TPID where the EtherType should be: more tags than the switch parses, which may hide 0x88B5.</summary>
    public const ushort PriorityVlanStack = 990;
    /// <summary>0x88B5 from a port without its own metered flow (reserved ports like LOCAL, ports above OFPM_MAX).</summary>
    public const ushort PriorityAttestationOther = 950;
    public const ushort PriorityDirtyMac = 900;
    /// <summary>A locked host's own ARP from its own port (production host: always; boot server: while admitted).</summary>
    public const ushort PriorityLockedArp = 885;
    /// <summary>ARP claiming a locked host's address or MAC: dropped unless the flow above let it through.</summary>
    public const ushort PriorityLockedArpDrop = 880;
    /// <summary>A production host's MAC from its own port.</summary>
    public const ushort PriorityLockedHost = 850;
    public const ushort PriorityAdmitted = 800;
    public const ushort PriorityCleanMac = 700;
    public const ushort PriorityPortLock = 600;
    /// <summary>A boot-server port (by configuration), whether or not a node is enrolled on it.</summary>
    public const ushort PriorityClosedPort = 590;
    public const ushort PriorityDefault = 0;

    /// <summary>
    /// TPIDs OVS treats as VLAN tags (802.1Q 0x8100, 802.1ad 0x88A8) and the pre-standard QinQ 0x9100. OVS parses
    /// at most <c>other_config:vlan-limit</c> tags (default 1, at most 2); behind them a further TPID is the match's
    /// eth_type, so these three as eth_type mean "a tag stack deeper than the switch parses".
    /// </summary>
    public static IReadOnlyList<ushort> VlanTpids => EtherTypes.VlanTpids;

    /// <summary>"GA" in the top 16 bits of every gate cookie; the next octet is the kind.</summary>
    public const ulong CookiePrefix = 0x4741UL << 48;
    public const ulong CookieAll = 0xFFFF_FFFF_FFFF_FFFFUL;

    public enum CookieKind : byte
    {
        Base = 1,
        Node = 2,
        Admission = 3,
        /// <summary>Flows of the configured port roles (production hosts, closed boot-server ports).</summary>
        Role = 4,
    }

    /// <summary>
    /// Cookie layout: 16 bits "GA" | 8 bits kind | 24 bits node number (per enrolment version) | 16 bits
    /// admission generation. One exact-cookie delete removes one node's static flows; a FLOW_REMOVED carrying an
    /// older admission's cookie is recognised as stale.
    /// </summary>
    public static ulong Cookie(CookieKind kind, uint nodeNumber = 0, ushort generation = 0) =>
        CookiePrefix | (ulong)kind << 40 | (ulong)(nodeNumber & 0xFFFFFF) << 16 | generation;

    public static CookieKind? KindOf(ulong cookie) =>
        (cookie & 0xFFFF_0000_0000_0000UL) == CookiePrefix ? (CookieKind)(byte)(cookie >> 40) : null;

    /// <summary>Meter id of a port's attestation meter: the port number (valid meters are 1..OFPM_MAX, §7.3.4.4).</summary>
    public static bool HasMeter(uint port) => port is >= 1 and <= OfpMeter.Max;

    /// <summary>
    /// Per-port meter limiting attestation frames to the controller: OFPMF_PKTPS | OFPMF_BURST with one
    /// OFPMBT_DROP band (OpenFlow 1.3.5 §7.3.4.4), so a HELLO flood on one port cannot starve the others.
    /// </summary>
    public static MeterMod AttestationMeter(uint port, uint ratePps, uint burst, MeterModCommand command = MeterModCommand.Add) =>
        new(command, MeterFlags.Pktps | MeterFlags.Burst, port, command == MeterModCommand.Delete ? [] : [new MeterBandDrop(ratePps, burst)]);

    /// <summary>in_port=P, eth_type=0x88B5 → meter P → CONTROLLER (whole frame, OFPCML_NO_BUFFER).</summary>
    public static FlowMod AttestationToController(uint port) => Add(
        Cookie(CookieKind.Base), PriorityAttestation,
        Match.Of(Oxm.InPort(port), Oxm.EthType(AttestationFrame.EtherType)),
        [new InstructionMeter(port), new InstructionApplyActions([new ActionOutput(OfpPort.Controller, OfpControllerMaxLen.NoBuffer)])]);

    /// <summary>eth_type=0x88B5 from any other port → drop: an attestation frame is never forwarded (docs/architecture.md "The attestation exchange").</summary>
    public static FlowMod AttestationDropOther() => Add(
        Cookie(CookieKind.Base), PriorityAttestationOther, Match.Of(Oxm.EthType(AttestationFrame.EtherType)), []);

    /// <summary>
    /// Frames whose eth_type is a VLAN TPID → drop: their real EtherType (possibly 0x88B5) sits behind more tags
    /// than the switch parses, so neither the attestation flows nor anything else can judge them. Legitimate
    /// stacked VLANs are therefore not forwarded on a gated switch (docs/gate.md "Known limits").
    /// </summary>
    public static IEnumerable<FlowMod> VlanStackDrops() =>
        VlanTpids.Select(tpid => Add(Cookie(CookieKind.Base), PriorityVlanStack, Match.Of(Oxm.EthType(tpid)), []));

    /// <summary>Priority 0 of table 0: any other source → the destination stage.</summary>
    public static FlowMod DefaultToForwarding() => Add(
        Cookie(CookieKind.Base), PriorityDefault, Match.Empty, ToDestinationStage);

    /// <summary>Priority 0 of table 1: any other destination → forwarding.</summary>
    public static FlowMod DefaultDestination() => Add(
        Cookie(CookieKind.Base), PriorityDefault, Match.Empty, ToForwarding, DestinationTable);

    private static readonly IReadOnlyList<OfpInstruction> ToDestinationStage = [new InstructionGotoTable(DestinationTable)];
    private static readonly IReadOnlyList<OfpInstruction> ToForwarding = [new InstructionGotoTable(ForwardingTable)];

    /// <summary>
    /// The flows every enrolled node has whatever its state: dirty MAC dropped as source and destination (900),
    /// clean MAC dropped as source and destination below the admission flows (700: not admitted, or from another
    /// port = anti-spoofing), and its port locked (600: any other source on the enrolled port).
    /// </summary>
    public static IEnumerable<FlowMod> NodeStatic(uint nodeNumber, uint port, MacAddress clean, MacAddress dirty, IPAddress? address = null)
    {
        var cookie = Cookie(CookieKind.Node, nodeNumber);
        yield return Add(cookie, PriorityDirtyMac, Match.Of(Oxm.EthSrc(dirty)), []);
        yield return Add(cookie, PriorityDirtyMac, Match.Of(Oxm.EthDst(dirty)), [], DestinationTable);
        if (address is not null)
            foreach (var drop in LockedArpDrops(cookie, clean, address))
                yield return drop;
        yield return Add(cookie, PriorityCleanMac, Match.Of(Oxm.EthSrc(clean)), []);
        yield return Add(cookie, PriorityCleanMac, Match.Of(Oxm.EthDst(clean)), [], DestinationTable);
        yield return Add(cookie, PriorityPortLock, Match.Of(Oxm.InPort(port)), []);
    }

    /// <summary>
    /// A production host (docs/gate.md "Locked hosts"): its MAC from its port → forwarding (850), its MAC from any
    /// other port → drop (700), anything else on its port → drop (600); with an address, ARP claiming that address or
    /// MAC → drop (880) except the host's own ARP from its port (885).
    /// </summary>
    public static IEnumerable<FlowMod> ProductionHost(uint port, MacAddress mac, IPAddress? address)
    {
        var cookie = Cookie(CookieKind.Role);
        if (address is not null)
        {
            yield return Add(cookie, PriorityLockedArp, LockedArpMatch(port, mac, address), ToDestinationStage);
            foreach (var drop in LockedArpDrops(cookie, mac, address))
                yield return drop;
        }
        yield return Add(cookie, PriorityLockedHost, Match.Of(Oxm.InPort(port), Oxm.EthSrc(mac)), ToDestinationStage);
        yield return Add(cookie, PriorityCleanMac, Match.Of(Oxm.EthSrc(mac)), []);
        yield return Add(cookie, PriorityPortLock, Match.Of(Oxm.InPort(port)), []);
    }

    /// <summary>A boot-server port by configuration: closed (590), whatever is enrolled; attestation frames still reach the controller (1000).</summary>
    public static FlowMod ClosedPort(uint port) => Add(Cookie(CookieKind.Role), PriorityClosedPort, Match.Of(Oxm.InPort(port)), []);

    /// <summary>ARP (any tag, as OVS matches eth_type behind one tag) with arp_spa = the address or arp_sha = the MAC → drop.</summary>
    private static IEnumerable<FlowMod> LockedArpDrops(ulong cookie, MacAddress mac, IPAddress address)
    {
        yield return Add(cookie, PriorityLockedArpDrop, Match.Of(Oxm.EthType(EtherTypes.Arp), Oxm.ArpSpa(address)), []);
        yield return Add(cookie, PriorityLockedArpDrop, Match.Of(Oxm.EthType(EtherTypes.Arp), Oxm.ArpSha(mac)), []);
    }

    /// <summary>The locked host's own ARP: from its port and MAC, claiming exactly its address and MAC.</summary>
    public static Match LockedArpMatch(uint port, MacAddress mac, IPAddress address) => Match.Of(
        Oxm.InPort(port), Oxm.EthSrc(mac), Oxm.EthType(EtherTypes.Arp), Oxm.ArpSpa(address), Oxm.ArpSha(mac));

    /// <summary>The two flood groups of one switch (docs/gate.md "Who hears floods").</summary>
    public static IEnumerable<GroupMod> FloodGroupMods(IEnumerable<uint> floodPorts, IEnumerable<uint> broadcastArpPorts, GroupModCommand command)
    {
        yield return FloodGroups.Group(FloodGroups.Flood, floodPorts, command);
        yield return FloodGroups.Group(FloodGroups.BroadcastArp, broadcastArpPorts, command);
    }

    /// <summary>Deletes one node's static flows by their exact cookie (after an enrolment change or removal).</summary>
    public static FlowMod DeleteNodeStatic(uint nodeNumber) => new()
    {
        TableId = OfpTable.All,
        Command = FlowModCommand.Delete,
        Cookie = Cookie(CookieKind.Node, nodeNumber),
        CookieMask = CookieAll,
    };

    /// <summary>
    /// Admission: table 0 in_port=P, eth_src=clean → goto 1 and table 1 eth_dst=clean → goto 2 (800) with hard_timeout =
    /// the (remaining) lease and OFPFF_SEND_FLOW_REM, so the switch itself ends an admission nobody renews. Sent with
    /// OFPFC_ADD: an identical entry is replaced and its timeouts restart (OpenFlow 1.3.5 §6.4).
    /// </summary>
    public static IEnumerable<FlowMod> Admission(uint port, MacAddress clean, ulong cookie, ushort hardTimeout, IPAddress? address = null)
    {
        // The node's own ARP passes its address's ARP drop (880) only while admitted.
        if (address is not null)
            yield return Add(cookie, PriorityLockedArp, LockedArpMatch(port, clean, address), ToDestinationStage) with
            {
                HardTimeout = hardTimeout,
                Flags = FlowModFlags.SendFlowRem,
            };
        yield return Add(cookie, PriorityAdmitted, AdmissionSourceMatch(port, clean), ToDestinationStage) with
        {
            HardTimeout = hardTimeout,
            Flags = FlowModFlags.SendFlowRem,
        };
        yield return Add(cookie, PriorityAdmitted, AdmissionDestinationMatch(clean), ToForwarding, DestinationTable) with
        {
            HardTimeout = hardTimeout,
            Flags = FlowModFlags.SendFlowRem,
        };
    }

    /// <summary>Revocation: both admission flows by exact match and priority, whatever cookie they carry.</summary>
    public static IEnumerable<FlowMod> DeleteAdmission(uint port, MacAddress clean, IPAddress? address = null)
    {
        if (address is not null)
            yield return DeleteStrict(PriorityLockedArp, LockedArpMatch(port, clean, address));
        yield return DeleteStrict(PriorityAdmitted, AdmissionSourceMatch(port, clean));
        yield return DeleteStrict(PriorityAdmitted, AdmissionDestinationMatch(clean), DestinationTable);
    }

    public static Match AdmissionSourceMatch(uint port, MacAddress clean) => Match.Of(Oxm.InPort(port), Oxm.EthSrc(clean));

    public static Match AdmissionDestinationMatch(MacAddress clean) => Match.Of(Oxm.EthDst(clean));

    /// <summary>A controller frame onto one port (in_port = OFPP_CONTROLLER: generated by the controller, §7.3.7).</summary>
    public static PacketOut FrameOut(uint port, byte[] frame) =>
        new(OfpBuffer.NoBuffer, OfpPort.Controller, [new ActionOutput(port, 0)], frame);

    private static FlowMod Add(ulong cookie, ushort priority, Match match, IReadOnlyList<OfpInstruction> instructions, byte table = GateTable) => new()
    {
        Cookie = cookie,
        TableId = table,
        Command = FlowModCommand.Add,
        Priority = priority,
        Match = match,
        Instructions = instructions,
    };

    private static FlowMod DeleteStrict(ushort priority, Match match, byte table = GateTable) => new()
    {
        TableId = table,
        Command = FlowModCommand.DeleteStrict,
        Priority = priority,
        Match = match,
    };
}
