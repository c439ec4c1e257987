using System.Net;
using SwitchGate.Attestation;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Ethernet;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// The leaks of issue 8 as pure policy: who hears floods (group buckets), tag stacks, locked production hosts,
/// closed boot-server ports, revocation only by authenticated messages, and aggregated denials.
/// </summary>
public sealed class GateLeakTests : IDisposable
{
    private const uint ProdPort = 10, OrdinaryPort = 20, SpareBootPort = 5;
    private static readonly MacAddress ProdMac = new(0x0200_0000_000AUL);
    private static readonly IPAddress ProdIp = IPAddress.Parse("10.0.0.100"), BootIp = IPAddress.Parse("10.0.0.11");

    private readonly TestNode _a = new("bs1", PolicyHarness.Dpid, 3, 1);
    private readonly PolicyHarness _h;

    public GateLeakTests() => _h = new PolicyHarness(o =>
    {
        o.PortRoles =
        [
            new PortRole("bs1", PortRoleKind.BootServer, PolicyHarness.Dpid, 3, Address: BootIp),
            new PortRole("bs9", PortRoleKind.BootServer, PolicyHarness.Dpid, SpareBootPort),
            new PortRole("prod", PortRoleKind.ProductionHost, PolicyHarness.Dpid, ProdPort, ProdMac, ProdIp),
        ];
        o.AuditDenialWindow = TimeSpan.FromSeconds(10);
    }, _a);

    public void Dispose() => _h.Dispose();

    private static PortDesc Port(uint no) =>
        new(no, new MacAddress(0x0200_0000_0000UL | no), $"p{no}", PortConfig.None, PortState.Live, 0, 0, 0, 0, 0, 0);

    private List<OfpMessage> ColdStart()
    {
        var output = new List<OfpMessage>();
        _h.Policy.ColdStart(PolicyHarness.Dpid, new uint[] { 3, SpareBootPort, ProdPort, OrdinaryPort, OfpPort.Local }.Select(Port), _h.Now, output);
        return output;
    }

    private static uint[] Buckets(IEnumerable<OfpMessage> messages, uint group) =>
        messages.OfType<GroupMod>().Last(g => g.GroupId == group).Buckets.Select(b => Assert.IsType<ActionOutput>(Assert.Single(b.Actions)).Port).ToArray();

    private IEnumerable<OfpMessage> Batched => _h.Batches.SelectMany(b => b.Messages);

    [Fact]
    public void Floods_reach_only_ungated_ports_and_admitted_nodes_hear_broadcast_ARP_only()
    {
        var cold = ColdStart();
        var groups = cold.OfType<GroupMod>().ToList();
        Assert.All(groups, g => Assert.Equal((GroupModCommand.Add, GroupType.All), (g.Command, g.GroupType)));
        // Groups come before anything that could refer to them, LOCAL is never a bucket.
        Assert.Equal([ProdPort, OrdinaryPort], Buckets(cold, FloodGroups.Flood));
        Assert.Equal([ProdPort, OrdinaryPort], Buckets(cold, FloodGroups.BroadcastArp));

        _h.Attest(_a);
        var admission = _h.Batches.Last(b => b.Messages.OfType<FlowMod>().Any(f => f.Priority == GateFlows.PriorityAdmitted));
        Assert.Equal([3u, ProdPort, OrdinaryPort], Buckets(admission.Messages, FloodGroups.BroadcastArp));
        Assert.Equal([ProdPort, OrdinaryPort], Buckets(admission.Messages, FloodGroups.Flood));

        _h.Frame(_a, _a.Depart());
        Assert.Equal(VerdictKind.Revoked, _h.LastVerdict.Kind);
        var revocation = _h.Batches.Last();
        Assert.Contains(revocation.Messages, m => m is FlowMod { Command: FlowModCommand.DeleteStrict });
        Assert.Equal([ProdPort, OrdinaryPort], Buckets(revocation.Messages, FloodGroups.BroadcastArp));
    }

    [Fact]
    public void A_port_whose_enrolment_goes_stays_closed_when_configured_as_a_boot_server_and_new_ports_join_the_flood()
    {
        ColdStart();
        _h.Apply(o => _h.Policy.SetEnrolments([], [], _h.Now, o));
        Assert.Equal([ProdPort, OrdinaryPort], Buckets(Batched, FloodGroups.Flood));

        _h.Apply(o => _h.Policy.PortStatus(PolicyHarness.Dpid, new PortStatus(PortStatusReason.Add, Port(21)), null, _h.Now, o));
        Assert.Equal([ProdPort, OrdinaryPort, 21u], Buckets(Batched, FloodGroups.Flood));
        _h.Apply(o => _h.Policy.PortStatus(PolicyHarness.Dpid, new PortStatus(PortStatusReason.Delete, Port(OrdinaryPort)), null, _h.Now, o));
        Assert.Equal([ProdPort, 21u], Buckets(Batched, FloodGroups.Flood));
    }

    [Fact]
    public void Cold_start_drops_tag_stacks_closes_boot_server_ports_and_locks_the_production_host()
    {
        var flows = ColdStart().OfType<FlowMod>().ToList();
        foreach (var tpid in new ushort[] { 0x8100, 0x88A8, 0x9100 })
            Assert.Contains(flows, f => f.Priority == GateFlows.PriorityVlanStack && f.Match == Match.Of(Oxm.EthType(tpid)) && f.Instructions.Count == 0);
        // The VLAN-stack drops sit above the catch-all 0x88B5 drop and below the per-port punt.
        Assert.InRange<int>(GateFlows.PriorityVlanStack, GateFlows.PriorityAttestationOther + 1, GateFlows.PriorityAttestation - 1);

        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityClosedPort && f.Match == Match.Of(Oxm.InPort(SpareBootPort)) && f.Instructions.Count == 0);
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityClosedPort && f.Match == Match.Of(Oxm.InPort(3)));

        IReadOnlyList<OfpInstruction> toForwarding = [new InstructionGotoTable(1)];
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityLockedHost && f.Match == Match.Of(Oxm.InPort(ProdPort), Oxm.EthSrc(ProdMac))
            && f.Instructions.SequenceEqual(toForwarding));
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityCleanMac && f.Match == Match.Of(Oxm.EthSrc(ProdMac)) && f.Instructions.Count == 0);
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityPortLock && f.Match == Match.Of(Oxm.InPort(ProdPort)) && f.Instructions.Count == 0);
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityLockedArpDrop && f.Match == Match.Of(Oxm.EthType(0x0806), Oxm.ArpSpa(ProdIp)));
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityLockedArpDrop && f.Match == Match.Of(Oxm.EthType(0x0806), Oxm.ArpSha(ProdMac)));
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityLockedArp && f.Match == GateFlows.LockedArpMatch(ProdPort, ProdMac, ProdIp)
            && f.Instructions.SequenceEqual(toForwarding));
        // The boot server's address is protected too; its own ARP passes only while admitted.
        Assert.Contains(flows, f => f.Priority == GateFlows.PriorityLockedArpDrop && f.Match == Match.Of(Oxm.EthType(0x0806), Oxm.ArpSpa(BootIp)));
        Assert.DoesNotContain(flows, f => f.Priority == GateFlows.PriorityLockedArp && f.Match == GateFlows.LockedArpMatch(3, _a.CleanMac, BootIp));

        _h.Attest(_a);
        var admission = _h.Batches.Last(b => b.Messages.OfType<FlowMod>().Any(f => f.Priority == GateFlows.PriorityAdmitted)).Messages.OfType<FlowMod>().ToList();
        var arp = Assert.Single(admission, f => f.Priority == GateFlows.PriorityLockedArp);
        Assert.Equal(GateFlows.LockedArpMatch(3, _a.CleanMac, BootIp), arp.Match);
        Assert.Equal((30, FlowModFlags.SendFlowRem), (arp.HardTimeout, arp.Flags));
        Assert.Equal(admission.First(f => f.Priority == GateFlows.PriorityAdmitted).Cookie, arp.Cookie);

        _h.Frame(_a, _a.Depart());
        var deletion = _h.Batches.Last().Messages.OfType<FlowMod>().ToList();
        Assert.Contains(deletion, f => f.Command == FlowModCommand.DeleteStrict && f.Priority == GateFlows.PriorityLockedArp && f.Match == arp.Match);
    }

    [Fact]
    public void Port_roles_are_validated()
    {
        var problems = PortRole.Validate(
        [
            new PortRole("p1", PortRoleKind.ProductionHost, 1, 1),
            new PortRole("p2", PortRoleKind.ProductionHost, 1, 1, new MacAddress(0x0100_0000_0001UL)),
            new PortRole("p3", PortRoleKind.BootServer, 1, 0, Address: IPAddress.IPv6Loopback),
        ]);
        Assert.Contains(problems, p => p.Contains("'p1': a production host needs its MAC"));
        Assert.Contains(problems, p => p.Contains("'p2'") && p.Contains("not a unicast MAC"));
        Assert.Contains(problems, p => p.Contains("'p3': port 0 is not a physical port"));
        Assert.Contains(problems, p => p.Contains("'p3'") && p.Contains("not a host IPv4 address"));
        Assert.Contains(problems, p => p.Contains("'p1', 'p2' share switch"));
        Assert.Empty(PortRole.Validate([new PortRole("ok", PortRoleKind.BootServer, 1, 2)]));
        Assert.Throws<ArgumentException>(() => new GateOptions
        {
            EnrolmentDirectory = "/x", AuditLogPath = "/y", PortRoles = [new PortRole("p1", PortRoleKind.ProductionHost, 1, 1)],
        }.EnsureValid());
    }

    [Fact]
    public void A_forged_HELLO_and_garbage_EVIDENCE_from_the_link_cannot_revoke()
    {
        var admitted = _h.Attest(_a);
        // The attack of issue 8: HELLO with the admitted session (a renewal), then EVIDENCE whose ATTEST is garbage.
        var challenge = _h.Challenge(_a, admitted.SessionId);
        var garbage = new Evidence(admitted.SessionId, new byte[40], new byte[10], [new byte[32]], new byte[Limits.ProofLength]);
        _h.Frame(_a, _a.Frame(garbage));
        Assert.Equal((VerdictKind.Denied, ReasonCode.EvidenceMalformed), (_h.LastVerdict.Kind, _h.LastVerdict.Reason));
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);

        // Unauthenticated variants: a quote signed by another key, values that are not the quoted ones, a made-up PROOF.
        using var other = new SwitchGate.TestSupport.Tpm.SoftwareQuoter(TestNode.CleanSelection);
        foreach (var forge in new Func<Challenge, Evidence>[]
        {
            c => _a.Evidence(c, signer: other),
            c => _a.Evidence(c, values: _a.Quoter.PcrValues().Select(v => new byte[v.Length]).ToList()),
            c => _a.Evidence(c, proof: new byte[Limits.ProofLength]),
        })
        {
            challenge = _h.Challenge(_a, admitted.SessionId);
            _h.Frame(_a, _a.Frame(forge(challenge)));
            Assert.Equal(VerdictKind.Denied, _h.LastVerdict.Kind);
            Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);
        }
        Assert.DoesNotContain(_h.Audit, e => e.Verdict == VerdictKind.Revoked);

        // A fresh exchange (new session) that fails unauthenticated leaves the admission too.
        challenge = _h.Challenge(_a);
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge, signer: other)));
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);

        // Positive control: an authenticated quote of dirty values revokes.
        challenge = _h.Challenge(_a, admitted.SessionId);
        _a.Quoter.Extend(14, "leaving clean mode"u8);
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge)));
        Assert.Equal((VerdictKind.Revoked, ReasonCode.ReattestationFailed, ReasonCode.PcrValuesNotGolden),
            (_h.LastVerdict.Kind, _h.LastVerdict.Reason, _h.LastVerdict.Cause));
    }

    [Fact]
    public void A_flood_of_denials_is_audited_once_per_window_with_its_count()
    {
        var wrongMac = MacAddress.Parse("02-00-00-00-0E-01");
        for (int i = 0; i < 200; i++)
        {
            _h.Frame(_a, _a.Hello(claimed: wrongMac));
            _h.Advance(TimeSpan.FromMilliseconds(10));
        }
        // Every HELLO was answered; one was audited; the rest are counted in the open window.
        Assert.Equal(200, _h.ToNodes.Count(t => t.Message is Verdict { Reason: ReasonCode.CleanMacMismatch }));
        Assert.Single(_h.Audit, e => e.Reason == ReasonCode.CleanMacMismatch);

        _h.Advance(TimeSpan.FromSeconds(10));
        _h.Apply(o => _h.Policy.Tick(_h.Now, o));
        var aggregated = Assert.Single(_h.Audit, e => e.Event == "denials_aggregated");
        Assert.Equal(("bs1", ReasonCode.CleanMacMismatch, 199L, (uint?)3), (aggregated.Node, aggregated.Reason, aggregated.Count, aggregated.Port));
        Assert.Equal(VerdictKind.Denied, aggregated.Verdict);

        // The next denial after the window is audited in full again; another reason has its own window.
        _h.Frame(_a, _a.Hello(claimed: wrongMac));
        _h.Frame(_a, _a.Hello(name: "nobody"));
        Assert.Equal(2, _h.Audit.Count(e => e.Event == "verdict" && e.Reason == ReasonCode.CleanMacMismatch));
        Assert.Single(_h.Audit, e => e.Event == "verdict" && e.Reason == ReasonCode.NotEnrolled);
        // Nothing counted since: the tick writes nothing more.
        _h.Advance(TimeSpan.FromSeconds(11));
        _h.Apply(o => _h.Policy.Tick(_h.Now, o));
        Assert.Single(_h.Audit, e => e.Event == "denials_aggregated");
    }
}
