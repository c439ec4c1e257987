using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// Secret rotation in the pure policy (issue 11 item 4; docs/enrolment.md "Rotation"): issued after a fresh admission,
/// sent before the VERDICT, made durable before it leaves, old-or-new accepted until the new key proves itself, then
/// only new; replayed, stale and forged ROTATEDs change nothing.
/// </summary>
public sealed class RotationPolicyTests : IDisposable
{
    private readonly TestNode _a = new("bs1", PolicyHarness.Dpid, 3, 1, withEk: true);
    private readonly byte[] _next = RandomNumberGenerator.GetBytes(32);
    private PolicyHarness _h;

    public RotationPolicyTests() => _h = new PolicyHarness(_a);

    public void Dispose() => _h.Dispose();

    /// <summary>A controller restarted with a pending rotation whose secret the test knows (<see cref="_next"/>).</summary>
    private PolicyHarness WithPending()
    {
        _h.Policy.Dispose();
        var pending = new PendingRotation(1, AttestationProof.PublicKeyOf(_next), new byte[70], new byte[256]);
        var state = new ProofKeyState(_a.Name, _a.Record.ProofKey, 0, _a.Record.ProofKey, pending);
        _h = new PolicyHarness(null, new Dictionary<string, ProofKeyState> { [_a.Name] = ProofKeyState.FromJson(state.ToJson()) }, _a);
        return _h;
    }

    private byte[] RotatedFrame(ulong session, uint generation, byte[] secret)
    {
        using var key = AttestationProof.DeriveKey(secret);
        return _a.Frame(new Rotated(session, generation, AttestationProof.SignRotated(key, session, generation, _a.CleanMac)));
    }

    [Fact]
    public void A_fresh_admission_issues_a_rotation_made_durable_and_sent_before_the_verdict()
    {
        int before = _h.ToNodes.Count;
        var verdict = _h.Attest(_a);
        Assert.Equal(VerdictKind.Admitted, verdict.Kind);
        var sent = _h.ToNodes.Skip(before).Select(t => t.Message).ToList();
        var rotate = Assert.IsType<Rotate>(sent[^2]);
        Assert.IsType<Verdict>(sent[^1]);
        Assert.Equal((verdict.SessionId, 1u), (rotate.SessionId, rotate.Generation));
        Assert.Contains(_h.Audit, e => e.Event == "secret_rotation_issued" && e.Node == _a.Name);
        // The pending state went to the durable store in the same step: generation 0 in use, 1 pending, public values only.
        var issued = Assert.Single(_h.ProofKeys);
        Assert.Equal((0u, 1u), (issued.Generation, issued.Pending!.Generation));
        Assert.Equal(rotate.Credential.ToArray(), issued.Pending.Credential);
        Assert.True(AttestationProof.IsValidPublicKey(issued.Pending.Key));

        // Until the new key proves itself the old one still admits, and the same rotation is handed out again.
        var again = _h.Attest(_a);
        Assert.Equal(VerdictKind.Admitted, again.Kind);
        var resent = _h.Last<Rotate>();
        Assert.Equal((again.SessionId, 1u), (resent.SessionId, resent.Generation));
        Assert.Equal(rotate.Credential.ToArray(), resent.Credential.ToArray());
        Assert.Single(_h.Audit, e => e.Event == "secret_rotation_issued");
    }

    [Fact]
    public void Rotated_by_the_pending_key_commits_and_the_old_secret_is_refused_from_then_on()
    {
        var h = WithPending();
        var admitted = h.Attest(_a); // the old secret is still accepted while the rotation is pending
        Assert.Equal(VerdictKind.Admitted, admitted.Kind);
        Assert.Equal(1u, h.Last<Rotate>().Generation);

        var commit = h.Frame(_a, RotatedFrame(admitted.SessionId, 1, _next));
        var state = Assert.Single(commit.ProofKeys);
        Assert.Equal((1u, (PendingRotation?)null), (state.Generation, state.Pending));
        Assert.Equal(AttestationProof.PublicKeyOf(_next), state.Current);
        Assert.Contains(h.Audit, e => e.Event == "secret_rotated" && e.Detail!.Contains("generation 1 proven by ROTATED"));

        // (a) The stolen old secret no longer admits; the new one does (and the next rotation is issued).
        var challenge = h.Challenge(_a);
        h.Frame(_a, _a.Frame(_a.Evidence(challenge)));
        Assert.Equal((VerdictKind.Denied, ReasonCode.BadSecretProof), (h.LastVerdict.Kind, h.LastVerdict.Reason));
        challenge = h.Challenge(_a);
        h.Frame(_a, _a.Frame(_a.Evidence(challenge, secret: _next)));
        Assert.Equal(VerdictKind.Admitted, h.LastVerdict.Kind);
        Assert.Equal(2u, h.Last<Rotate>().Generation);
    }

    [Fact]
    public void Evidence_by_the_pending_key_commits_when_the_rotated_message_was_lost()
    {
        var h = WithPending();
        var challenge = h.Challenge(_a);
        h.Frame(_a, _a.Frame(_a.Evidence(challenge, secret: _next)));
        Assert.Equal(VerdictKind.Admitted, h.LastVerdict.Kind);
        Assert.Contains(h.Audit, e => e.Event == "secret_rotated" && e.Detail!.Contains("proven by EVIDENCE"));
        challenge = h.Challenge(_a);
        h.Frame(_a, _a.Frame(_a.Evidence(challenge)));
        Assert.Equal(ReasonCode.BadSecretProof, h.LastVerdict.Reason);
    }

    [Fact]
    public void Replayed_stale_foreign_and_forged_rotated_messages_are_dropped_and_change_nothing()
    {
        var h = WithPending();
        var admitted = h.Attest(_a);
        var session = admitted.SessionId;
        var forged = RandomNumberGenerator.GetBytes(32);
        (byte[] Frame, string Why)[] refused =
        [
            (RotatedFrame(session, 2, _next), "not the pending generation 1"),
            (RotatedFrame(session ^ 1, 1, _next), "not admitted"),
            (RotatedFrame(session, 1, forged), "not a signature by the pending"),
            (RotatedFrame(session, 1, _a.Secret), "not a signature by the pending"),
        ];
        foreach (var (frame, why) in refused)
        {
            var output = h.Frame(_a, frame);
            var drop = Assert.Single(output.Dropped);
            Assert.Equal(DropReason.RotationRefused, drop.Reason);
            Assert.Contains(why, drop.Detail);
            Assert.Empty(output.ProofKeys);
            Assert.Empty(output.Audit);
        }

        var good = RotatedFrame(session, 1, _next);
        Assert.Single(h.Frame(_a, good).ProofKeys);
        // (b) The same ROTATED replayed after the commit: no rotation is pending any more.
        var replay = h.Frame(_a, good);
        Assert.Contains("no rotation is pending", Assert.Single(replay.Dropped).Detail);
        Assert.Empty(replay.ProofKeys);
        Assert.Equal(refused.Length + 1, h.Policy.Counters.Drops(DropReason.RotationRefused));
    }

    [Fact]
    public void Rotated_from_another_source_or_malformed_is_dropped_without_a_state_change()
    {
        var h = WithPending();
        var admitted = h.Attest(_a);
        var frame = RotatedFrame(admitted.SessionId, 1, _next);
        var spoofed = h.Frame(_a, [.. frame[..6], 0x02, 0x66, 0x66, 0x66, 0x66, 0x66, .. frame[12..]]);
        Assert.Equal(DropReason.SourceMacMismatch, Assert.Single(spoofed.Dropped).Reason);
        var truncated = frame.ToArray();
        truncated[14 + 5] -= 1; // the header's length no longer matches
        var malformed = h.Frame(_a, truncated);
        Assert.Equal(DropReason.Malformed, Assert.Single(malformed.Dropped).Reason);
        Assert.Empty(spoofed.ProofKeys);
        Assert.Empty(malformed.ProofKeys);
        Assert.Single(h.Frame(_a, frame).ProofKeys); // still pending: the valid one commits
    }

    [Fact]
    public void A_state_file_of_an_earlier_enrolment_is_ignored()
    {
        _h.Policy.Dispose();
        var other = AttestationProof.PublicKeyOf(RandomNumberGenerator.GetBytes(32));
        var stale = new ProofKeyState(_a.Name, other, 5, AttestationProof.PublicKeyOf(_next), null);
        _h = new PolicyHarness(null, new Dictionary<string, ProofKeyState> { [_a.Name] = stale }, _a);
        Assert.Equal(VerdictKind.Admitted, _h.Attest(_a).Kind);
        Assert.Equal(1u, _h.Last<Rotate>().Generation);
    }

    [Fact]
    public void A_node_without_an_enrolled_ek_is_never_rotated()
    {
        using var plain = new TestNode("bs2", PolicyHarness.Dpid, 4, 2);
        using var h = new PolicyHarness(plain);
        Assert.Equal(VerdictKind.Admitted, h.Attest(plain).Kind);
        Assert.DoesNotContain(h.ToNodes, t => t.Message is Rotate);
    }
}
