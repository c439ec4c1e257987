using SwitchGate.Attestation;
using SwitchGate.Ethernet;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>Admission lifecycle of the pure policy: leases, renewal, revocations, and the flows each produces.</summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly TestNode _a = new("bs1", PolicyHarness.Dpid, 3, 1);
    private readonly TestNode _b = new("bs2", PolicyHarness.Dpid, 4, 2);
    private readonly PolicyHarness _h;

    public LifecycleTests() => _h = new PolicyHarness(_a, _b);

    public void Dispose() => _h.Dispose();

    private static PortDesc Port(uint no, PortState state = PortState.Live, PortConfig config = PortConfig.None, ulong mac = 0) =>
        new(no, new MacAddress(0x0200_0000_0000UL | (mac == 0 ? no : mac)), $"p{no}", config, state, 0, 0, 0, 0, 0, 0);

    private List<OfpMessage> ColdStart(params uint[] ports)
    {
        var output = new List<OfpMessage>();
        _h.Policy.ColdStart(PolicyHarness.Dpid, ports.Select(p => Port(p)), _h.Now, output);
        return output;
    }

    private static void AssertMeter(OfpMessage message, MeterModCommand command, uint id, params MeterBand[] bands)
    {
        var meter = Assert.IsType<MeterMod>(message);
        Assert.Equal((command, MeterFlags.Pktps | MeterFlags.Burst, id), (meter.Command, meter.Flags, meter.MeterId));
        Assert.Equal(bands, meter.Bands);
    }

    private void AssertRevoked(ReasonCode reason, ulong session, ReasonCode? cause = null)
    {
        var verdict = _h.LastVerdict;
        Assert.Equal(VerdictKind.Revoked, verdict.Kind);
        Assert.Equal(reason, verdict.Reason);
        Assert.Equal(session, verdict.SessionId);
        Assert.Equal(cause, verdict.Cause);
        Assert.Equal(NodeGateState.Idle, _h.Status(_a).State);
        var deletion = _h.Batches.Last(b => b.Messages.OfType<FlowMod>().Any(f => f.Command == FlowModCommand.DeleteStrict));
        Assert.Equal(GateFlows.DeleteAdmission(_a.Port, _a.CleanMac), deletion.Messages.Cast<FlowMod>());
        Assert.Contains(_h.Audit, e => e.Verdict == VerdictKind.Revoked && e.Reason == reason && e.Confirmed == true);
    }

    [Fact]
    public void Cold_start_installs_meters_gate_flows_and_default_exactly()
    {
        var flows = ColdStart(1, 3, 4, OfpPort.Local);
        var meter = Assert.IsType<MeterMod>(flows[0]);
        AssertMeter(meter, MeterModCommand.Add, 1, new MeterBandDrop(20, 10));
        var toController = Assert.IsType<FlowMod>(flows[1]);
        Assert.Equal(1000, toController.Priority);
        Assert.Equal(Match.Of(Oxm.InPort(1), Oxm.EthType(0x88B5)), toController.Match);
        Assert.Equal([new InstructionMeter(1), new InstructionApplyActions([new ActionOutput(OfpPort.Controller, OfpControllerMaxLen.NoBuffer)])],
            toController.Instructions);
        // Meters and 0x88B5 flows for ports 1, 3, 4 only (LOCAL has no meter: it is caught by the 950 drop).
        Assert.Equal([1u, 3u, 4u], flows.OfType<MeterMod>().Select(m => m.MeterId));
        var gate = flows.OfType<FlowMod>().ToList();
        // Source checks in table 0, destination checks in table 1.
        Assert.All(gate, f => Assert.Equal(f.Match.EthDst is not null || f == gate[^1] ? 1 : 0, f.TableId));
        Assert.Contains(gate, f => f.Priority == 950 && f.Match == Match.Of(Oxm.EthType(0x88B5)) && f.Instructions.Count == 0);
        foreach (var n in new[] { _a, _b })
        {
            Assert.Contains(gate, f => f.Priority == 900 && f.Match == Match.Of(Oxm.EthSrc(n.DirtyMac)) && f.Instructions.Count == 0);
            Assert.Contains(gate, f => f.Priority == 900 && f.Match == Match.Of(Oxm.EthDst(n.DirtyMac)) && f.Instructions.Count == 0 && f.TableId == 1);
            Assert.Contains(gate, f => f.Priority == 700 && f.Match == Match.Of(Oxm.EthSrc(n.CleanMac)) && f.Instructions.Count == 0);
            Assert.Contains(gate, f => f.Priority == 700 && f.Match == Match.Of(Oxm.EthDst(n.CleanMac)) && f.Instructions.Count == 0);
            Assert.Contains(gate, f => f.Priority == 600 && f.Match == Match.Of(Oxm.InPort(n.Port)) && f.Instructions.Count == 0);
        }
        Assert.DoesNotContain(gate, f => f.Priority == 800); // nobody is admitted
        var source = gate[^2];
        Assert.Equal((0, 0), (source.TableId, source.Priority));
        Assert.Equal(Match.Empty, source.Match);
        Assert.Equal([new InstructionGotoTable(1)], source.Instructions);
        var last = gate[^1];
        Assert.Equal((1, 0), (last.TableId, last.Priority));
        Assert.Equal(Match.Empty, last.Match);
        Assert.Equal([new InstructionGotoTable(2)], last.Instructions);
        Assert.All(gate, f => Assert.Equal(GateFlows.CookiePrefix, f.Cookie & 0xFFFF_0000_0000_0000UL));
        // Another switch gets the port flows, VLAN-stack drops, flood groups and default but none of these nodes' flows.
        var other = new List<OfpMessage>();
        _h.Policy.ColdStart(0xB2, [Port(1)], _h.Now, other);
        Assert.Equal(5 + GateFlows.VlanTpids.Count + 2, other.Count);
        Assert.Equal(2, other.OfType<GroupMod>().Count());
    }

    [Fact]
    public void Admission_flows_have_exact_matches_lease_timeout_and_flow_removed_flag()
    {
        var challenge = _h.Challenge(_a);
        var output = _h.ApplyUnconfirmed(o => _h.Policy.Frame(_a.DatapathId, _a.Port, _a.Frame(_a.Evidence(challenge)), _h.Now, o));
        // No VERDICT before the barrier confirms the flows.
        Assert.Empty(_h.ToNodes.Select(t => t.Message).OfType<Verdict>());
        Assert.Equal(NodeGateState.Installing, _h.Status(_a).State);
        var batch = Assert.Single(output.Batches);
        Assert.Equal(_a.DatapathId, batch.DatapathId);
        var flows = batch.Messages.Cast<FlowMod>().ToList();
        Assert.Equal(2, flows.Count);
        Assert.All(flows, f =>
        {
            Assert.Equal(FlowModCommand.Add, f.Command);
            Assert.Equal(800, f.Priority);
            Assert.Equal(30, f.HardTimeout);
            Assert.Equal(0, f.IdleTimeout);
            Assert.Equal(FlowModFlags.SendFlowRem, f.Flags);
            Assert.Equal([new InstructionGotoTable((byte)(f.TableId + 1))], f.Instructions);
            Assert.Equal(GateFlows.CookieKind.Admission, GateFlows.KindOf(f.Cookie));
        });
        Assert.Equal([0, 1], flows.Select(f => (int)f.TableId));
        Assert.Equal(Match.Of(Oxm.InPort(_a.Port), Oxm.EthSrc(_a.CleanMac)), flows[0].Match);
        Assert.Equal(Match.Of(Oxm.EthDst(_a.CleanMac)), flows[1].Match);
        Assert.Equal(flows[0].Cookie, flows[1].Cookie);

        _h.Confirm(batch);
        Assert.Equal(VerdictKind.Admitted, _h.LastVerdict.Kind);
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);
        Assert.Equal(0, _h.Policy.PendingBatches);
    }

    [Fact]
    public void Switch_error_on_the_admission_batch_admits_nobody()
    {
        var challenge = _h.Challenge(_a);
        _h.BatchFailure = "switch rejected FLOW_MOD: OFPET_FLOW_MOD_FAILED/OFPFMFC_TABLE_FULL";
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge)));
        Assert.Empty(_h.ToNodes.Select(t => t.Message).OfType<Verdict>());
        Assert.Equal(NodeGateState.Idle, _h.Status(_a).State);
        Assert.Equal(1, _h.Policy.Counters.InstallFailures);
        Assert.Contains(_h.Audit, e => e.Event == "install_failed" && e.Detail!.Contains("TABLE_FULL"));
        // Whatever part of the batch made it is deleted again.
        Assert.Equal(GateFlows.DeleteAdmission(_a.Port, _a.CleanMac), _h.Batches[^1].Messages.Cast<FlowMod>());
    }

    [Fact]
    public void Renewal_re_adds_the_flows_so_the_switch_restarts_the_hard_timeout()
    {
        var first = _h.Attest(_a);
        var admission = _h.Batches[^1];
        _h.Advance(TimeSpan.FromSeconds(15));
        var renewal = _h.Attest(_a, first.SessionId);
        Assert.Equal(VerdictKind.Admitted, renewal.Kind);
        Assert.Equal(ReasonCode.Renewed, renewal.Reason);
        Assert.Equal(first.SessionId, renewal.SessionId);
        var reAdded = _h.Batches[^1].Messages.Cast<FlowMod>().ToList();
        Assert.Equal(admission.Messages.Cast<FlowMod>(), reAdded); // identical OFPFC_ADD, hard_timeout = full lease
        Assert.All(reAdded, f => Assert.Equal(30, f.HardTimeout));
        Assert.Equal(_h.Now + TimeSpan.FromSeconds(30), _h.Status(_a).LeaseEnd);
        // The controller's clock does not revoke at the first lease end any more.
        _h.Advance(TimeSpan.FromSeconds(20));
        _h.Apply(o => _h.Policy.Tick(_h.Now, o));
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);
        _h.Advance(TimeSpan.FromSeconds(10));
        _h.Apply(o => _h.Policy.Tick(_h.Now, o));
        AssertRevoked(ReasonCode.LeaseExpired, first.SessionId);
    }

    [Fact]
    public void Stale_failure_during_renewal_keeps_the_admission_other_failures_revoke()
    {
        var admitted = _h.Attest(_a);
        var challenge = _h.Challenge(_a, admitted.SessionId);
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge, quoteNonce: new byte[32])));
        Assert.Equal(ReasonCode.ExtraDataMismatch, _h.LastVerdict.Reason);
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);

        challenge = _h.Challenge(_a, admitted.SessionId);
        _a.Quoter.Extend(14, "leaving clean mode"u8);
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge)));
        AssertRevoked(ReasonCode.ReattestationFailed, admitted.SessionId, ReasonCode.PcrValuesNotGolden);
    }

    [Fact]
    public void Reset_count_change_while_admitted_revokes_and_a_renewal_cannot_readmit()
    {
        var admitted = _h.Attest(_a);
        _a.Quoter.ResetCount++; // the node rebooted behind our back
        var challenge = _h.Challenge(_a, admitted.SessionId);
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge)));
        AssertRevoked(ReasonCode.RebootDetected, admitted.SessionId);
        Assert.DoesNotContain(_h.ToNodes.Skip(3).Select(t => t.Message).OfType<Verdict>(), v => v.Kind == VerdictKind.Admitted);
        // A fresh exchange (HELLO with session 0) is what re-admits it.
        var again = _h.Attest(_a);
        Assert.Equal(ReasonCode.Admitted, again.Reason);
        Assert.NotEqual(admitted.SessionId, again.SessionId);
    }

    [Fact]
    public void Fresh_exchange_after_a_reboot_revokes_the_old_session_then_admits_the_new_one()
    {
        var admitted = _h.Attest(_a);
        _a.Quoter.ResetCount++;
        var again = _h.Attest(_a);
        Assert.Equal(VerdictKind.Admitted, again.Kind);
        var verdicts = _h.ToNodes.Select(t => t.Message).OfType<Verdict>().ToList();
        Assert.Contains(verdicts, v => v.SessionId == admitted.SessionId && v.Reason == ReasonCode.RebootDetected);
        Assert.Equal(again.SessionId, _h.Status(_a).Session);
    }

    [Fact]
    public void Depart_with_a_valid_proof_revokes_after_deletion_and_bad_departs_change_nothing()
    {
        var admitted = _h.Attest(_a);
        _h.Frame(_a, _a.Depart(secret: _b.Secret));
        Assert.Equal(ReasonCode.BadSecretProof, _h.LastVerdict.Reason);
        _h.Frame(_a, _a.Depart(session: admitted.SessionId + 1));
        Assert.Equal(ReasonCode.UnknownSession, _h.LastVerdict.Reason);
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);

        var output = _h.ApplyUnconfirmed(o => _h.Policy.Frame(_a.DatapathId, _a.Port, _a.Depart(), _h.Now, o));
        Assert.Equal(NodeGateState.Idle, _h.Status(_a).State); // trust ends at once in the controller
        Assert.NotEqual(VerdictKind.Revoked, _h.LastVerdict.Kind); // the VERDICT waits for the barrier
        _h.Confirm(Assert.Single(output.Batches));
        AssertRevoked(ReasonCode.Departed, admitted.SessionId);
        // A recorded DEPART replayed later finds no session.
        _h.Frame(_a, _a.Depart());
        Assert.Equal(ReasonCode.UnknownSession, _h.LastVerdict.Reason);
    }

    [Fact]
    public void Hard_timeout_flow_removed_revokes_and_stale_or_deleted_ones_are_ignored()
    {
        var first = _h.Attest(_a);
        var oldCookie = _h.Batches.Last(b => b.Messages.OfType<FlowMod>().Any(f => f.Priority == 800)).Messages.OfType<FlowMod>().First().Cookie;
        FlowRemoved Removed(ulong cookie, FlowRemovedReason reason) =>
            new(cookie, 800, reason, 0, 30, 0, 0, 30, 1, 64, GateFlows.AdmissionDestinationMatch(_a.CleanMac));
        _h.Apply(o => _h.Policy.FlowRemoved(_a.DatapathId, Removed(oldCookie, FlowRemovedReason.Delete), _h.Now, o));
        _h.Apply(o => _h.Policy.FlowRemoved(_a.DatapathId, Removed(oldCookie ^ 1, FlowRemovedReason.HardTimeout), _h.Now, o));
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State);
        _h.Apply(o => _h.Policy.FlowRemoved(_a.DatapathId, Removed(oldCookie, FlowRemovedReason.HardTimeout), _h.Now, o));
        AssertRevoked(ReasonCode.LeaseExpired, first.SessionId);
        // The sibling's FLOW_REMOVED changes nothing more.
        int verdicts = _h.ToNodes.Count;
        _h.Apply(o => _h.Policy.FlowRemoved(_a.DatapathId, Removed(oldCookie, FlowRemovedReason.HardTimeout), _h.Now, o));
        Assert.Equal(verdicts, _h.ToNodes.Count);
    }

    [Fact]
    public void Port_down_on_the_enrolled_port_revokes()
    {
        var admitted = _h.Attest(_a);
        _h.Apply(o => _h.Policy.PortStatus(_a.DatapathId, new PortStatus(PortStatusReason.Modify, Port(_b.Port, PortState.LinkDown)), Port(_b.Port), _h.Now, o));
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State); // another port
        _h.Apply(o => _h.Policy.PortStatus(_a.DatapathId, new PortStatus(PortStatusReason.Modify, Port(_a.Port, PortState.Live)), Port(_a.Port), _h.Now, o));
        Assert.Equal(NodeGateState.Admitted, _h.Status(_a).State); // no change that matters
        _h.Apply(o => _h.Policy.PortStatus(_a.DatapathId, new PortStatus(PortStatusReason.Modify, Port(_a.Port, PortState.LinkDown)), Port(_a.Port), _h.Now, o));
        AssertRevoked(ReasonCode.PortDown, admitted.SessionId);
    }

    [Fact]
    public void Port_changed_or_deleted_revokes_port_changed()
    {
        var admitted = _h.Attest(_a);
        _h.Apply(o => _h.Policy.PortStatus(_a.DatapathId, new PortStatus(PortStatusReason.Modify, Port(_a.Port, mac: 0x77)), Port(_a.Port), _h.Now, o));
        AssertRevoked(ReasonCode.PortChanged, admitted.SessionId);
        admitted = _h.Attest(_a);
        _h.Apply(o => _h.Policy.PortStatus(_a.DatapathId, new PortStatus(PortStatusReason.Delete, Port(_a.Port)), Port(_a.Port), _h.Now, o));
        AssertRevoked(ReasonCode.PortChanged, admitted.SessionId);
    }

    [Fact]
    public void New_port_gets_its_meter_and_attestation_flow()
    {
        var output = _h.Apply(o => _h.Policy.PortStatus(_a.DatapathId, new PortStatus(PortStatusReason.Add, Port(12)), null, _h.Now, o));
        var messages = output.Messages.Select(m => m.Message).ToList();
        AssertMeter(messages[0], MeterModCommand.Delete, 12);
        AssertMeter(messages[1], MeterModCommand.Add, 12, new MeterBandDrop(20, 10));
        Assert.Equal(GateFlows.AttestationToController(12), messages[2]);
    }

    [Fact]
    public void Enrolment_change_and_removal_revoke_and_replace_the_static_flows()
    {
        var admitted = _h.Attest(_a);
        var changed = _a.Record with { Port = 11 };
        _h.Apply(o => _h.Policy.SetEnrolments([changed, _b.Record], [], _h.Now, o));
        var verdict = _h.LastVerdict;
        Assert.Equal((VerdictKind.Revoked, ReasonCode.EnrolmentChanged, admitted.SessionId), (verdict.Kind, verdict.Reason, verdict.SessionId));
        Assert.Equal(_a.Port, _h.ToNodes[^1].Port); // told on the port it was admitted on
        var statics = _h.Batches[^1].Messages.Cast<FlowMod>().ToList();
        Assert.Equal(FlowModCommand.Delete, statics[0].Command);
        Assert.Equal(GateFlows.CookieKind.Node, GateFlows.KindOf(statics[0].Cookie));
        Assert.Equal(ulong.MaxValue, statics[0].CookieMask);
        Assert.Contains(statics, f => f.Priority == 600 && f.Match == Match.Of(Oxm.InPort(11)));
        Assert.Contains(_h.Audit, e => e.Event == "enrolment_changed" && e.Node == _a.Name);

        var session = _h.Attest(_b).SessionId;
        _h.Apply(o => _h.Policy.SetEnrolments([changed], [], _h.Now, o));
        Assert.Equal((ReasonCode.EnrolmentRemoved, session), (_h.LastVerdict.Reason, _h.LastVerdict.SessionId));
        Assert.Null(_h.Policy.Status(_h.Now)[_b.Name]);
        // The removed node's HELLO is now from an unenrolled port.
        _h.Frame(_b, _b.Hello());
        Assert.Equal(1, _h.Policy.Counters.Drops(DropReason.UnenrolledPort));
    }

    [Fact]
    public void Cold_start_restores_still_valid_admissions_with_their_remaining_lease()
    {
        _h.Attest(_a);
        var cookie = _h.Batches.Last(b => b.Messages.OfType<FlowMod>().Any(f => f.Priority == 800)).Messages.OfType<FlowMod>().First().Cookie;
        _h.Advance(TimeSpan.FromSeconds(12.4));
        var admission = ColdStart(1, 3, 4).OfType<FlowMod>().Where(f => f.Priority == 800).ToList();
        Assert.Equal(GateFlows.Admission(_a.Port, _a.CleanMac, cookie, 17), admission);
        _h.Advance(TimeSpan.FromSeconds(17));
        Assert.DoesNotContain(ColdStart(1, 3, 4).OfType<FlowMod>(), f => f.Priority == 800);
    }

    [Fact]
    public void Hello_flood_keeps_one_outstanding_challenge_and_the_meter_caps_the_rate()
    {
        Challenge? last = null;
        for (int i = 0; i < 1000; i++)
            last = _h.Challenge(_a);
        // State per node is bounded: only the last challenge can be answered.
        var earlier = (Challenge)_h.ToNodes[^2].Message;
        _h.Frame(_a, _a.Frame(_a.Evidence(earlier)));
        Assert.Equal(VerdictKind.Denied, _h.LastVerdict.Kind);
        Assert.True(ReasonCodes.IsStaleExchange(_h.LastVerdict.Reason));
        Assert.Equal(NodeGateState.Challenged, _h.Status(_a).State);
        _h.Frame(_a, _a.Frame(_a.Evidence(last!)));
        Assert.Equal(VerdictKind.Admitted, _h.LastVerdict.Kind);
        // The switch limits what reaches us: every port's 0x88B5 flow goes through its packet-rate meter.
        var flows = ColdStart(3, 4);
        Assert.All(flows.OfType<MeterMod>(), m => Assert.Equal(MeterFlags.Pktps | MeterFlags.Burst, m.Flags));
        Assert.All(flows.OfType<FlowMod>().Where(f => f.Priority == 1000), f => Assert.IsType<InstructionMeter>(f.Instructions[0]));
        Assert.Equal(0, _h.Policy.PendingBatches);
    }

    [Fact]
    public void Every_verdict_is_counted_and_audited_with_its_reason()
    {
        _h.Attest(_a);
        _h.Frame(_a, _a.Hello(name: "nobody"));
        _h.Frame(_a, _a.Depart());
        Assert.Equal(1, _h.Policy.Counters.Verdict(VerdictKind.Admitted, ReasonCode.Admitted));
        Assert.Equal(1, _h.Policy.Counters.Verdict(VerdictKind.Denied, ReasonCode.NotEnrolled));
        Assert.Equal(1, _h.Policy.Counters.Verdict(VerdictKind.Revoked, ReasonCode.Departed));
        var verdicts = _h.Audit.Where(e => e.Event == "verdict").Select(e => e.Reason).ToList();
        Assert.Equal([ReasonCode.Admitted, ReasonCode.NotEnrolled, ReasonCode.Departed], verdicts);
    }

    [Fact]
    public void Revocation_that_the_switch_cannot_confirm_is_audited_unconfirmed_and_sends_no_verdict()
    {
        var admitted = _h.Attest(_a);
        int sent = _h.ToNodes.Count;
        _h.BatchFailure = "switch 0x00000000000000a1 is not connected";
        _h.Advance(TimeSpan.FromSeconds(31));
        _h.Apply(o => _h.Policy.Tick(_h.Now, o));
        Assert.Equal(NodeGateState.Idle, _h.Status(_a).State); // trust ends in the controller anyway
        Assert.Equal(sent, _h.ToNodes.Count);
        var entry = _h.Audit.Last();
        Assert.Equal((VerdictKind.Revoked, ReasonCode.LeaseExpired, admitted.SessionId, false), (entry.Verdict, entry.Reason, entry.Session, entry.Confirmed));
        Assert.Contains("not connected", entry.Detail);
        Assert.Equal(0, _h.Policy.PendingBatches);
    }
}
