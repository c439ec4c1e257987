using SwitchGate.Attestation;
using SwitchGate.BootAgent.Core;
using SwitchGate.Ethernet;

namespace SwitchGate.BootAgent.Tests;

/// <summary>The agent's state machine without I/O (docs/protocol.md §7.1, docs/agent.md "State machine").</summary>
public sealed class AgentCoreTests
{
    private static readonly MacAddress Clean = MacAddress.Parse("02-00-00-00-01-01");
    private static readonly MacAddress Controller = AttestationFrame.DefaultControllerSource;
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly byte[] Selection = [0, 0, 0, 1, 0, 0x0B, 3, 0x11, 0x43, 0x00];
    private const ulong S = 0x0123456789ABCDEF;

    private static AgentCore NewCore(bool once = false) => new(new AgentOptions("bs1", Clean) { Once = once });

    private static AttestationFrameContent ToAgent(AttestationMessage m, MacAddress? dst = null) => new(dst ?? Clean, Controller, m);

    private static byte[] Nonce(byte b) => Enumerable.Repeat(b, 32).ToArray();

    private static Evidence EvidenceFor(ulong session) =>
        new(session, [0xFF, 0x54, 0x43, 0x47], [0x00, 0x10], [new byte[32]], new byte[64]);

    /// <summary>Drives a fresh exchange to admission with lease <paramref name="lease"/> and returns the core.</summary>
    private static AgentCore Admitted(ushort lease = 30, bool once = false)
    {
        var core = NewCore(once);
        core.Start(T0);
        core.OnFrame(ToAgent(new Challenge(S, Nonce(1), Selection)), T0);
        core.OnEvidence(EvidenceFor(S), T0);
        core.OnFrame(ToAgent(Verdict.Admit(S, lease)), T0);
        Assert.Equal(once ? AgentState.Stopped : AgentState.Admitted, core.State);
        return core;
    }

    [Fact]
    public void Start_sends_HELLO_0_and_retransmits_with_doubling_backoff_capped_at_8s()
    {
        var core = NewCore();
        var first = Assert.IsType<SendMessage>(Assert.Single(core.Start(T0)));
        var hello = Assert.IsType<Hello>(first.Message);
        Assert.Equal(0UL, hello.SessionId);
        Assert.Equal("bs1", hello.NodeName);
        Assert.Equal(Clean, hello.CleanMac);

        var gaps = new List<double>();
        var now = T0;
        for (int i = 0; i < 6; i++)
        {
            var next = core.NextDeadline!.Value;
            gaps.Add((next - now).TotalSeconds);
            Assert.Empty(core.OnTimer(next - TimeSpan.FromMilliseconds(1)));
            var resent = Assert.IsType<SendMessage>(Assert.Single(core.OnTimer(next)));
            Assert.Equal(0UL, Assert.IsType<Hello>(resent.Message).SessionId);
            now = next;
        }

        Assert.Equal([1, 2, 4, 8, 8, 8], gaps);
    }

    [Fact]
    public void Challenge_leads_to_evidence_and_Admitted_to_an_admission_with_the_exchange_nonce()
    {
        var core = NewCore();
        core.Start(T0);
        var produce = Assert.IsType<ProduceEvidence>(Assert.Single(core.OnFrame(ToAgent(new Challenge(S, Nonce(7), Selection)), T0)));
        Assert.Equal(S, produce.Session);
        Assert.Equal(Nonce(7), produce.Nonce);
        Assert.Equal(Selection, produce.PcrSelection);
        Assert.Equal(AgentState.Quoting, core.State);

        var send = Assert.IsType<SendMessage>(Assert.Single(core.OnEvidence(EvidenceFor(S), T0)));
        Assert.IsType<Evidence>(send.Message);
        Assert.Equal(AgentState.AwaitVerdict, core.State);

        var actions = core.OnFrame(ToAgent(Verdict.Admit(S, 30)), T0 + TimeSpan.FromSeconds(1));
        var changed = Assert.IsType<AdmissionChanged>(actions[0]);
        Assert.Equal(S, changed.Admission!.Session);
        Assert.Equal(Nonce(7), changed.Admission.Nonce);
        Assert.Contains(actions, a => a is Report { Line: var l } && l.StartsWith("admitted session=0123456789abcdef lease=30s", StringComparison.Ordinal));
        Assert.Equal(T0 + TimeSpan.FromSeconds(16), core.NextDeadline);
    }

    [Fact]
    public void Renewal_at_half_the_lease_is_HELLO_with_the_session_and_Renewed_takes_the_new_nonce()
    {
        var core = Admitted(lease: 30);
        Assert.Empty(core.OnTimer(T0 + TimeSpan.FromSeconds(14)));
        var hello = Assert.IsType<Hello>(Assert.IsType<SendMessage>(Assert.Single(core.OnTimer(T0 + TimeSpan.FromSeconds(15)))).Message);
        Assert.Equal(S, hello.SessionId);

        var t = T0 + TimeSpan.FromSeconds(15);
        core.OnFrame(ToAgent(new Challenge(S, Nonce(9), Selection)), t);
        core.OnEvidence(EvidenceFor(S), t);
        core.OnFrame(ToAgent(Verdict.Admit(S, 30, renewal: true)), t);
        Assert.Equal(Nonce(9), core.Admission!.Nonce);
        Assert.Equal(t + TimeSpan.FromSeconds(30), core.Admission.LeaseEnd);
    }

    [Fact]
    public void A_renewal_answered_with_another_session_adopts_it()
    {
        var core = Admitted(lease: 10);
        core.OnTimer(T0 + TimeSpan.FromSeconds(5));
        const ulong fresh = 0x1111;
        core.OnFrame(ToAgent(new Challenge(fresh, Nonce(3), Selection)), T0 + TimeSpan.FromSeconds(5));
        core.OnEvidence(EvidenceFor(fresh), T0 + TimeSpan.FromSeconds(5));
        core.OnFrame(ToAgent(Verdict.Admit(fresh, 10)), T0 + TimeSpan.FromSeconds(5));
        Assert.Equal(fresh, core.Admission!.Session);
    }

    [Fact]
    public void Frames_not_for_this_agent_are_ignored_and_change_nothing()
    {
        var core = Admitted();
        var before = core.Admission;
        var other = MacAddress.Parse("02-00-00-00-09-09");
        var attacks = new[]
        {
            ToAgent(Verdict.Revoke(S, ReasonCode.LeaseExpired), dst: other),             // addressed to someone else
            ToAgent(Verdict.Revoke(S + 1, ReasonCode.PortDown)),                          // wrong session
            ToAgent(Verdict.Deny(S, ReasonCode.BadSignature)),                            // no exchange running
            ToAgent(new Challenge(S, Nonce(5), Selection)),                               // unsolicited challenge
            ToAgent(Verdict.Admit(S + 2, 65535)),                                         // admission of an unknown session
            new AttestationFrameContent(AttestationFrame.ControllerDestination, Clean, new Hello(S, "bs1", Clean)), // our own frame
            ToAgent(new Depart(S, new byte[64])),                                         // agent→controller type
        };
        foreach (var frame in attacks)
        {
            Assert.Empty(core.OnFrame(frame, T0 + TimeSpan.FromSeconds(1)));
        }

        Assert.Equal(attacks.Length, core.Ignored);
        Assert.Equal(AgentState.Admitted, core.State);
        Assert.Same(before, core.Admission);
    }

    [Fact]
    public void A_stale_verdict_for_an_old_exchange_does_not_admit()
    {
        var core = NewCore();
        core.Start(T0);
        core.OnFrame(ToAgent(new Challenge(S, Nonce(1), Selection)), T0);
        core.OnEvidence(EvidenceFor(S), T0);
        core.OnTimer(T0 + TimeSpan.FromSeconds(1)); // no verdict: HELLO(0) again
        Assert.Equal(AgentState.AwaitChallenge, core.State);
        Assert.Empty(core.OnFrame(ToAgent(Verdict.Admit(S, 30)), T0 + TimeSpan.FromSeconds(2)));
        Assert.Null(core.Admission);
    }

    [Fact]
    public void Denied_renewal_keeps_the_admission_and_retries()
    {
        var core = Admitted(lease: 30);
        var t = T0 + TimeSpan.FromSeconds(15);
        core.OnTimer(t);
        var actions = core.OnFrame(ToAgent(Verdict.Deny(S, ReasonCode.NonceExpired)), t);
        Assert.Contains(actions, a => a is Report { Line: var l } && l.StartsWith("denied reason=NonceExpired", StringComparison.Ordinal));
        Assert.Equal(AgentState.Admitted, core.State);
        Assert.NotNull(core.Admission);
        Assert.Equal(t + TimeSpan.FromSeconds(1), core.NextDeadline);
        Assert.IsType<Hello>(Assert.IsType<SendMessage>(Assert.Single(core.OnTimer(t + TimeSpan.FromSeconds(1)))).Message);
    }

    [Fact]
    public void A_renewal_HELLO_denied_with_session_0_keeps_the_admission()
    {
        var core = Admitted(lease: 30);
        core.OnTimer(T0 + TimeSpan.FromSeconds(15));
        var actions = core.OnFrame(ToAgent(Verdict.Deny(0, ReasonCode.CleanMacMismatch)), T0 + TimeSpan.FromSeconds(15));
        Assert.Contains(actions, a => a is Report { Line: var l } && l.Contains("admission-kept=true", StringComparison.Ordinal));
        Assert.NotNull(core.Admission);
    }

    [Fact]
    public void Denied_fresh_exchange_backs_off_doubling_or_stops_with_once()
    {
        var core = NewCore();
        core.Start(T0);
        core.OnFrame(ToAgent(Verdict.Deny(0, ReasonCode.NotEnrolled)), T0);
        Assert.Equal(AgentState.Idle, core.State);
        Assert.Equal(T0 + TimeSpan.FromSeconds(1), core.NextDeadline);
        core.OnTimer(T0 + TimeSpan.FromSeconds(1));
        core.OnFrame(ToAgent(Verdict.Deny(0, ReasonCode.NotEnrolled)), T0 + TimeSpan.FromSeconds(1));
        Assert.Equal(T0 + TimeSpan.FromSeconds(3), core.NextDeadline);

        var once = NewCore(once: true);
        once.Start(T0);
        var actions = once.OnFrame(ToAgent(Verdict.Deny(0, ReasonCode.CleanMacMismatch)), T0);
        Assert.Equal(AgentOutcome.Denied, Assert.IsType<Stop>(actions[^1]).Outcome);
    }

    [Fact]
    public void Revoked_stops_renewing_and_starts_over_with_HELLO_0()
    {
        var core = Admitted();
        var actions = core.OnFrame(ToAgent(Verdict.Revoke(S, ReasonCode.ReattestationFailed, ReasonCode.PcrValuesNotGolden)), T0);
        Assert.Contains(actions, a => a is Report { Line: "revoked reason=ReattestationFailed cause=PcrValuesNotGolden session=0123456789abcdef" });
        Assert.Contains(actions, a => a is AdmissionChanged { Admission: null });
        Assert.Null(core.Admission);
        var hello = Assert.IsType<Hello>(Assert.IsType<SendMessage>(Assert.Single(core.OnTimer(core.NextDeadline!.Value))).Message);
        Assert.Equal(0UL, hello.SessionId);
    }

    [Fact]
    public void Lease_running_out_during_an_unanswered_renewal_drops_the_admission()
    {
        var core = Admitted(lease: 4);
        var t = T0;
        while (core.Admission is not null)
        {
            t = core.NextDeadline!.Value;
            core.OnTimer(t);
        }

        Assert.Equal(T0 + TimeSpan.FromSeconds(4), t);
        Assert.Equal(AgentState.AwaitChallenge, core.State);
    }

    [Fact]
    public void Depart_proves_sends_waits_for_revocation_then_taints_then_stops()
    {
        var core = Admitted();
        var prove = Assert.IsType<ProduceDepartProof>(Assert.Single(core.RequestDepart(T0)));
        Assert.Equal(S, prove.Session);
        Assert.Equal(Nonce(1), prove.Nonce);
        var proof = Enumerable.Repeat((byte)0xA5, 64).ToArray();
        var depart = Assert.IsType<Depart>(core.OnDepartProof(S, proof, T0).OfType<SendMessage>().Single().Message);
        Assert.Equal(proof, depart.Proof.ToArray());

        // Resent while unanswered, never leaving clean mode before the confirmation or the lease end.
        var t = T0;
        for (int i = 0; i < 3; i++)
        {
            t = core.NextDeadline!.Value;
            var resend = core.OnTimer(t);
            Assert.IsType<Depart>(Assert.IsType<SendMessage>(Assert.Single(resend)).Message);
        }

        Assert.Empty(core.OnFrame(ToAgent(Verdict.Revoke(S + 1, ReasonCode.Departed)), t)); // another session's revocation
        var actions = core.OnFrame(ToAgent(Verdict.Revoke(S, ReasonCode.Departed)), t);
        var leave = actions.OfType<LeaveCleanMode>().Single();
        Assert.True(leave.RevocationConfirmed);
        Assert.True(actions.ToList().IndexOf(leave) < actions.ToList().FindIndex(a => a is Stop));
        Assert.Equal(AgentOutcome.Departed, actions.OfType<Stop>().Single().Outcome);
        Assert.Equal(AgentState.Dirty, core.State);
        Assert.Empty(core.OnFrame(ToAgent(new Challenge(S, Nonce(2), Selection)), t));
    }

    [Fact]
    public void Depart_denied_UnknownSession_is_a_confirmation()
    {
        var core = Admitted();
        core.RequestDepart(T0);
        core.OnDepartProof(S, new byte[64], T0);
        var actions = core.OnFrame(ToAgent(Verdict.Deny(S, ReasonCode.UnknownSession)), T0);
        Assert.True(actions.OfType<LeaveCleanMode>().Single().RevocationConfirmed);
    }

    [Fact]
    public void Depart_with_a_silent_controller_leaves_only_when_the_lease_has_run_out()
    {
        var core = Admitted(lease: 20);
        core.RequestDepart(T0);
        core.OnDepartProof(S, new byte[64], T0);
        Assert.Empty(core.OnFrame(ToAgent(Verdict.Deny(S, ReasonCode.BadSecretProof)), T0).OfType<LeaveCleanMode>());
        var t = T0;
        while (true)
        {
            t = core.NextDeadline!.Value;
            var actions = core.OnTimer(t);
            if (actions.OfType<LeaveCleanMode>().SingleOrDefault() is { } leave)
            {
                Assert.False(leave.RevocationConfirmed);
                break;
            }

            Assert.True(t < T0 + TimeSpan.FromSeconds(20));
        }

        Assert.Equal(T0 + TimeSpan.FromSeconds(20), t);
    }

    [Fact]
    public void Depart_without_a_proof_waits_for_the_lease_end()
    {
        var core = Admitted(lease: 10);
        core.RequestDepart(T0);
        core.OnDepartProofFailed("policy", T0);
        Assert.Equal(T0 + TimeSpan.FromSeconds(10), core.NextDeadline);
        Assert.False(core.OnTimer(T0 + TimeSpan.FromSeconds(9)).OfType<LeaveCleanMode>().Any());
        Assert.False(core.OnTimer(T0 + TimeSpan.FromSeconds(10)).OfType<LeaveCleanMode>().Single().RevocationConfirmed);
    }

    [Fact]
    public void Depart_while_a_renewal_is_in_flight_proves_again_with_the_renewed_nonce()
    {
        var core = Admitted(lease: 30);
        var t = T0 + TimeSpan.FromSeconds(15);
        core.OnTimer(t);
        core.OnFrame(ToAgent(new Challenge(S, Nonce(4), Selection)), t);
        core.OnEvidence(EvidenceFor(S), t);
        core.RequestDepart(t);
        core.OnDepartProof(S, new byte[64], t);
        var reprove = Assert.Single(core.OnFrame(ToAgent(Verdict.Admit(S, 30, renewal: true)), t).OfType<ProduceDepartProof>());
        Assert.Equal(Nonce(4), reprove.Nonce);
    }

    [Fact]
    public void Depart_forced_or_not_admitted_leaves_at_once()
    {
        var forced = Admitted();
        var leave = forced.RequestDepart(T0, force: true).OfType<LeaveCleanMode>().Single();
        Assert.False(leave.RevocationConfirmed);

        var idle = NewCore();
        Assert.True(idle.RequestDepart(T0).OfType<LeaveCleanMode>().Single().RevocationConfirmed);
    }

    [Fact]
    public void Not_clean_ends_the_run()
    {
        var core = NewCore();
        core.Start(T0);
        core.OnFrame(ToAgent(new Challenge(S, Nonce(1), Selection)), T0);
        var actions = core.OnEvidenceFailed("TPM_RC_POLICY_FAIL", notClean: true, T0);
        Assert.Equal(AgentOutcome.NotClean, actions.OfType<Stop>().Single().Outcome);
        Assert.Equal(AgentState.Stopped, core.State);
    }

    [Fact]
    public void Once_stops_when_admitted_and_a_restored_admission_renews_on_time()
    {
        var core = Admitted(once: true);
        Assert.Equal(AgentState.Stopped, core.State);

        var restored = new AgentCore(new AgentOptions("bs1", Clean), new Admission(S, Nonce(1), T0, TimeSpan.FromSeconds(30)));
        restored.Start(T0 + TimeSpan.FromSeconds(2));
        Assert.Equal(T0 + TimeSpan.FromSeconds(15), restored.NextDeadline);
    }

    private static Rotate RotateFor(ulong session, uint generation) => new(session, generation, new byte[70], new byte[256]);

    private static Rotated RotatedFor(Rotate r) => new(r.SessionId, r.Generation, new byte[64]);

    [Fact]
    public void A_rotate_for_the_admitted_session_rotates_and_its_rotated_message_is_sent_with_the_new_generation()
    {
        var core = Admitted();
        var rotate = RotateFor(S, 1);
        var action = Assert.IsType<RotateSecret>(Assert.Single(core.OnFrame(ToAgent(rotate), T0)));
        Assert.Same(rotate, action.Rotate);
        // One at a time: a second ROTATE while the first is in the TPM is ignored.
        Assert.Empty(core.OnFrame(ToAgent(RotateFor(S, 2)), T0));
        var done = core.OnRotated(RotatedFor(rotate), T0);
        Assert.Equal(RotatedFor(rotate), Assert.Single(done.OfType<SendMessage>()).Message);
        Assert.Equal(1u, core.SecretGeneration);
        Assert.Equal(AgentState.Admitted, core.State);
    }

    [Fact]
    public void A_replayed_or_stale_rotate_is_refused_and_changes_nothing()
    {
        var core = new AgentCore(new AgentOptions("bs1", Clean), secretGeneration: 3);
        core.Start(T0);
        core.OnFrame(ToAgent(new Challenge(S, Nonce(1), Selection)), T0);
        core.OnEvidence(EvidenceFor(S), T0);
        core.OnFrame(ToAgent(Verdict.Admit(S, 30)), T0);
        foreach (var generation in new uint[] { 1, 3 })
        {
            int ignored = core.Ignored;
            var actions = core.OnFrame(ToAgent(RotateFor(S, generation)), T0);
            Assert.Contains("replayed", Assert.IsType<Report>(Assert.Single(actions)).Line);
            Assert.Equal(ignored + 1, core.Ignored);
        }
        Assert.Equal(3u, core.SecretGeneration);
        Assert.IsType<RotateSecret>(Assert.Single(core.OnFrame(ToAgent(RotateFor(S, 4)), T0)));
    }

    [Fact]
    public void A_rotate_for_another_session_to_another_mac_or_while_not_admitted_is_ignored()
    {
        var idle = NewCore();
        idle.Start(T0);
        Assert.Empty(idle.OnFrame(ToAgent(RotateFor(S, 1)), T0));
        var core = Admitted();
        Assert.Empty(core.OnFrame(ToAgent(RotateFor(S + 1, 1)), T0));
        Assert.Empty(core.OnFrame(ToAgent(RotateFor(S, 1), MacAddress.Parse("02-00-00-00-09-09")), T0));
        Assert.Equal(0u, core.SecretGeneration);
    }

    [Fact]
    public void A_once_run_installs_the_rotation_sent_before_its_verdict_and_stops_after_it()
    {
        var core = NewCore(once: true);
        core.Start(T0);
        core.OnFrame(ToAgent(new Challenge(S, Nonce(1), Selection)), T0);
        core.OnEvidence(EvidenceFor(S), T0);
        var rotate = RotateFor(S, 1);
        Assert.Empty(core.OnFrame(ToAgent(rotate), T0)); // kept until the VERDICT
        var admitted = core.OnFrame(ToAgent(Verdict.Admit(S, 30)), T0);
        Assert.Same(rotate, Assert.Single(admitted.OfType<RotateSecret>()).Rotate);
        Assert.Empty(admitted.OfType<Stop>());
        var failed = core.OnRotationFailed("TPM_RC_INTEGRITY", T0);
        Assert.Contains("unchanged", Assert.Single(failed.OfType<Report>()).Line);
        Assert.Equal(AgentOutcome.Admitted, Assert.Single(failed.OfType<Stop>()).Outcome);
        Assert.Equal(0u, core.SecretGeneration);
    }
}
