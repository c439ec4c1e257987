using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Ethernet;
using SwitchGate.Gate.Policy;
using SwitchGate.TestSupport.Tpm;
using SwitchGate.OpenFlow;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// Every verdict reason of the exchange, each as an attack that would succeed if the check were missing:
/// the attacker's EVIDENCE is what an honest agent would send except for the one forged part, and the
/// test asserts both the reason and that the node did not end up admitted.
/// </summary>
public sealed class VerificationAttackTests : IDisposable
{
    private readonly TestNode _a = new("bs1", PolicyHarness.Dpid, 3, 1);
    private readonly TestNode _b = new("bs2", PolicyHarness.Dpid, 4, 2);
    private readonly PolicyHarness _h;

    public VerificationAttackTests() => _h = new PolicyHarness(_a, _b);

    public void Dispose() => _h.Dispose();

    private void AssertDenied(ReasonCode reason)
    {
        var verdict = _h.LastVerdict;
        Assert.Equal(VerdictKind.Denied, verdict.Kind);
        Assert.Equal(reason, verdict.Reason);
        Assert.NotEqual(NodeGateState.Admitted, _h.Status(_a).State);
        Assert.Equal(1, _h.Policy.Counters.Verdict(VerdictKind.Denied, reason));
        Assert.Contains(_h.Audit, e => e.Verdict == VerdictKind.Denied && e.Reason == reason && e.Node == _a.Name);
    }

    private void SendEvidence(Evidence evidence) => _h.Frame(_a, _a.Frame(evidence));

    [Fact]
    public void Honest_exchange_is_admitted_with_the_lease()
    {
        var verdict = _h.Attest(_a);
        Assert.Equal(VerdictKind.Admitted, verdict.Kind);
        Assert.Equal(ReasonCode.Admitted, verdict.Reason);
        Assert.Equal((ushort)30, verdict.LeaseSeconds);
        var status = _h.Status(_a);
        Assert.Equal(NodeGateState.Admitted, status.State);
        Assert.Equal(verdict.SessionId, status.Session);
        Assert.Equal(_h.Now + TimeSpan.FromSeconds(30), status.LeaseEnd);
        Assert.All(_h.ToNodes, t => Assert.Equal(_a.Port, t.Port));
    }

    [Fact]
    public void Evidence_replayed_from_an_earlier_session_is_denied()
    {
        var first = _h.Challenge(_a);
        var recorded = _a.Evidence(first);
        SendEvidence(recorded);
        Assert.Equal(VerdictKind.Admitted, _h.LastVerdict.Kind);
        _a.Session = first.SessionId;
        _a.AdmittedNonce = first.Nonce.ToArray();
        _h.Frame(_a, _a.Depart());
        Assert.Equal(ReasonCode.Departed, _h.LastVerdict.Reason);

        // The node is dirty now; an attacker on its port replays the recorded EVIDENCE into a new exchange.
        var second = _h.Challenge(_a);
        Assert.NotEqual(first.SessionId, second.SessionId);
        SendEvidence(recorded);
        AssertDenied(ReasonCode.NonceUsed);
        // Nor does re-using the old quote's nonce under the new session.
        SendEvidence(_a.Evidence(second, quoteNonce: first.Nonce.ToArray()));
        Assert.Equal(ReasonCode.ExtraDataMismatch, _h.LastVerdict.Reason);
        Assert.Equal(NodeGateState.Idle, _h.Status(_a).State);
    }

    [Fact]
    public void Evidence_for_a_session_never_issued_is_denied_unknown_session()
    {
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, session: challenge.SessionId ^ 0x55));
        AssertDenied(ReasonCode.UnknownSession);
    }

    [Fact]
    public void Quote_over_a_wrong_nonce_is_denied()
    {
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, quoteNonce: RandomNumberGenerator.GetBytes(32)));
        AssertDenied(ReasonCode.ExtraDataMismatch);
    }

    [Fact]
    public void A_nonce_is_single_use_even_when_the_first_answer_failed()
    {
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, proof: new byte[Limits.ProofLength]));
        SendEvidence(_a.Evidence(challenge));
        Assert.Equal(ReasonCode.NonceUsed, _h.LastVerdict.Reason);
        Assert.Equal(NodeGateState.Idle, _h.Status(_a).State);
    }

    [Fact]
    public void Expired_nonce_is_denied()
    {
        var challenge = _h.Challenge(_a);
        _h.Advance(TimeSpan.FromSeconds(5.001));
        SendEvidence(_a.Evidence(challenge));
        AssertDenied(ReasonCode.NonceExpired);
    }

    [Fact]
    public void Dirty_pcrs_are_not_golden()
    {
        var challenge = _h.Challenge(_a);
        _a.Quoter.Extend(14, "leaving clean mode"u8); // the dirty mark
        // Even with the real secret (which a dirty TPM could not unseal) the values are refused.
        SendEvidence(_a.Evidence(challenge));
        AssertDenied(ReasonCode.PcrValuesNotGolden);
    }

    [Fact]
    public void Golden_values_of_another_node_are_refused()
    {
        var challenge = _h.Challenge(_a);
        foreach (var pcr in new[] { 0, 4, 8, 9, 14 })
            _a.Quoter.SetPcr(pcr, _b.Quoter.Pcr(pcr));
        SendEvidence(_a.Evidence(challenge));
        AssertDenied(ReasonCode.PcrValuesNotGolden);
    }

    [Fact]
    public void Second_golden_set_is_accepted()
    {
        using var node = new TestNode("bs9", PolicyHarness.Dpid, 9, 9);
        var updated = node.Quoter.PcrValues();
        node.Quoter.Extend(0, "firmware update"u8);
        var record = node.Record with
        {
            GoldenSets = [node.Record.GoldenSets[0], new GoldenSet("after-update", new[] { 0, 4, 8, 9, 14 }.ToDictionary(p => p, node.Quoter.Pcr))],
        };
        using var h = new PolicyHarness();
        h.Apply(o => h.Policy.SetEnrolments([record], [], h.Now, o));
        Assert.Equal(VerdictKind.Admitted, h.Attest(node).Kind);
        Assert.Contains("after-update", h.Audit.Last(e => e.Verdict == VerdictKind.Admitted).Detail);
        Assert.NotEqual(updated[0], node.Quoter.Pcr(0));
    }

    [Fact]
    public void Quote_signed_by_a_different_key_is_denied()
    {
        var challenge = _h.Challenge(_a);
        using var otherTpm = new SoftwareQuoter(TestNode.CleanSelection);
        SendEvidence(_a.Evidence(challenge, signer: otherTpm));
        AssertDenied(ReasonCode.BadSignature);
    }

    /// <summary>
    /// With the AK's qualified name enrolled, a quote by the right key whose qualifiedSigner names another place (the
    /// software quoter writes the Name, not the qualified name) is refused; without it the same quote is admitted.
    /// </summary>
    [Fact]
    public void Quote_whose_qualified_signer_is_not_the_enrolled_qualified_name_is_denied()
    {
        using var node = new TestNode("bs9", PolicyHarness.Dpid, 9, 9);
        var qualified = Tpm2bPublic.Parse(node.Record.AkPublic).ComputeQualifiedName(TpmtPublic.HandleName(TpmRh.Owner));
        using var h = new PolicyHarness();
        h.Apply(o => h.Policy.SetEnrolments([node.Record with { AkQualifiedName = qualified }], [], h.Now, o));
        Assert.Equal(VerdictKind.Denied, h.Attest(node).Kind);
        Assert.Equal(ReasonCode.BadSignature, h.LastVerdict.Reason);
        Assert.Contains(h.Audit, e => e.Reason == ReasonCode.BadSignature && e.Detail!.Contains("qualifiedSigner"));

        h.Apply(o => h.Policy.SetEnrolments([node.Record with { AkQualifiedName = Tpm2bPublic.Parse(node.Record.AkPublic).ComputeName() }], [], h.Now, o));
        Assert.Equal(VerdictKind.Admitted, h.Attest(node).Kind);
    }

    [Fact]
    public void Signed_structure_with_a_wrong_magic_is_denied()
    {
        var challenge = _h.Challenge(_a);
        _a.Quoter.Magic = 0xFF544348;
        SendEvidence(_a.Evidence(challenge));
        AssertDenied(ReasonCode.BadMagic);
    }

    [Fact]
    public void Signed_attestation_that_is_not_a_quote_is_denied()
    {
        var challenge = _h.Challenge(_a);
        // A TPM2_Certify attestation: signed by the AK, with the nonce, but it attests a key, not PCRs.
        var certify = new TpmsAttest
        {
            Magic = TpmGenerated.Value,
            Type = TpmSt.AttestCertify,
            QualifiedSigner = new byte[34],
            ExtraData = challenge.Nonce.ToArray(),
            ClockInfo = new TpmsClockInfo(5, 1, 0, true),
            Attested = new TpmsCertifyInfo(new byte[34], new byte[34]),
        }.ToBytes();
        var proof = TestNode.EvidenceProof(_a.Secret, challenge.Nonce.Span, challenge.SessionId, _a.CleanMac);
        SendEvidence(new Evidence(challenge.SessionId, certify, _a.Quoter.Sign(certify),
            _a.Quoter.PcrValues().Select(v => (ReadOnlyMemory<byte>)v), proof));
        AssertDenied(ReasonCode.NotAQuote);
    }

    [Fact]
    public void Quote_of_another_pcr_selection_is_denied()
    {
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, quotedSelection: new TpmlPcrSelection(TpmAlgId.Sha256, 0, 4, 8, 9)));
        AssertDenied(ReasonCode.PcrSelectionMismatch);
    }

    [Fact]
    public void Reported_values_that_are_not_the_quoted_ones_are_denied()
    {
        var challenge = _h.Challenge(_a);
        // The TPM quoted the dirty state; the attacker reports the golden values next to it.
        var golden = _a.Quoter.PcrValues();
        _a.Quoter.Extend(14, "leaving clean mode"u8);
        SendEvidence(_a.Evidence(challenge, values: golden));
        AssertDenied(ReasonCode.PcrDigestMismatch);
    }

    [Fact]
    public void Values_that_do_not_fit_the_selection_are_malformed()
    {
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, values: _a.Quoter.PcrValues().Take(4).ToList()));
        AssertDenied(ReasonCode.EvidenceMalformed);
    }

    [Fact]
    public void Attest_that_is_not_a_tpm_structure_is_malformed()
    {
        var challenge = _h.Challenge(_a);
        var proof = TestNode.EvidenceProof(_a.Secret, challenge.Nonce.Span, challenge.SessionId, _a.CleanMac);
        SendEvidence(new Evidence(challenge.SessionId, [0xFF, 0x54, 0x43, 0x47], [0x00, 0x10],
            _a.Quoter.PcrValues().Select(v => (ReadOnlyMemory<byte>)v), proof));
        AssertDenied(ReasonCode.EvidenceMalformed);
    }

    [Fact]
    public void Made_up_proof_is_denied()
    {
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, proof: RandomNumberGenerator.GetBytes(Limits.ProofLength)));
        AssertDenied(ReasonCode.BadSecretProof);
    }

    /// <summary>
    /// Item 3 of issue 11: whoever reads the controller's enrolment record learns only the proof key's public point.
    /// Everything that can be built from it (the point taken as a secret, or as an HMAC key over the proof input the
    /// way version 1 proved) is no proof.
    /// </summary>
    [Fact]
    public void Proofs_made_from_everything_in_a_stolen_enrolment_record_are_denied()
    {
        var stolen = _a.Record.ToJson();
        var record = Attestation.Enrolment.EnrolmentRecord.FromJson(stolen);
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, secret: record.ProofKey));
        AssertDenied(ReasonCode.BadSecretProof);

        challenge = _h.Challenge(_a);
        byte[] input = [.. challenge.Nonce.Span, .. BitConverter.GetBytes(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(challenge.SessionId)),
            .. _a.CleanMac.ToBytes()];
        var hmac = HMACSHA256.HashData(record.ProofKey, input);
        SendEvidence(_a.Evidence(challenge, proof: [.. hmac, .. hmac]));
        Assert.Equal((VerdictKind.Denied, ReasonCode.BadSecretProof), (_h.LastVerdict.Kind, _h.LastVerdict.Reason));
        Assert.Equal(2, _h.Policy.Counters.Verdict(VerdictKind.Denied, ReasonCode.BadSecretProof));
        Assert.DoesNotContain(Convert.ToBase64String(_a.Secret), System.Text.Encoding.UTF8.GetString(stolen));
    }

    [Fact]
    public void Proof_with_another_nodes_secret_is_denied()
    {
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge, secret: _b.Secret));
        AssertDenied(ReasonCode.BadSecretProof);
    }

    [Fact]
    public void Clock_not_safe_is_denied_and_a_retry_after_it_is_safe_admits()
    {
        _a.Quoter.Safe = false; // swtpm right after a restart
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge));
        AssertDenied(ReasonCode.ClockUnsafe);
        _a.Quoter.Safe = true;
        Assert.Equal(VerdictKind.Admitted, _h.Attest(_a).Kind);
    }

    [Fact]
    public void Counters_going_backwards_are_denied()
    {
        _a.Quoter.ResetCount = 7;
        _a.Quoter.RestartCount = 2;
        Assert.Equal(VerdictKind.Admitted, _h.Attest(_a).Kind);
        _h.Frame(_a, _a.Depart());
        // A TPM state rolled back (or a recorded-then-replayed TPM) reports lower counters.
        _a.Quoter.RestartCount = 1;
        var challenge = _h.Challenge(_a);
        SendEvidence(_a.Evidence(challenge));
        AssertDenied(ReasonCode.CountersWentBackwards);
        _a.Quoter.ResetCount = 8; // a real reboot moves resetCount up: fine again
        Assert.Equal(VerdictKind.Admitted, _h.Attest(_a).Kind);
    }

    [Fact]
    public void Obfuscated_counters_that_wrap_around_are_a_reboot_not_a_rollback()
    {
        _a.Quoter.ResetCount = uint.MaxValue; // the per-key obfuscation offset can put the counter anywhere
        _a.Quoter.RestartCount = 5;
        Assert.Equal(VerdictKind.Admitted, _h.Attest(_a).Kind);
        _h.Frame(_a, _a.Depart());
        _a.Quoter.ResetCount = 0; // uint.MaxValue + 1: one reboot later
        _a.Quoter.RestartCount = 4;
        Assert.Equal(VerdictKind.Admitted, _h.Attest(_a).Kind);
    }

    [Theory]
    [InlineData(7u, 2u, 7u, 1u, true)]
    [InlineData(7u, 2u, 6u, 9u, true)]
    [InlineData(7u, 2u, 8u, 0u, false)]
    [InlineData(uint.MaxValue, 3u, 0u, 0u, false)]
    [InlineData(0u, 3u, uint.MaxValue, 9u, true)]
    [InlineData(7u, uint.MaxValue, 7u, 0u, false)]
    public void Counter_order_is_serial_number_arithmetic(uint lastReset, uint lastRestart, uint reset, uint restart, bool backwards) =>
        Assert.Equal(backwards, SwitchGate.Gate.Policy.GatePolicy.WentBackwards((reset, restart), (lastReset, lastRestart)));

    [Fact]
    public void Hello_with_a_name_enrolled_on_another_port_is_denied_wrong_port()
    {
        _h.Frame(_a, _b.Hello(), port: _a.Port);
        var (port, message) = _h.ToNodes.Last();
        Assert.Equal(_a.Port, port); // answered only on the port it came from
        Assert.Equal(ReasonCode.WrongPort, ((Verdict)message).Reason);
        Assert.Equal(NodeGateState.Idle, _h.Status(_b).State);
    }

    [Fact]
    public void Hello_with_a_spoofed_source_mac_gets_no_challenge()
    {
        _h.Frame(_a, _a.Hello(source: _b.CleanMac));
        AssertDenied(ReasonCode.CleanMacMismatch);
        _h.Frame(_a, _a.Hello(claimed: _b.CleanMac, source: _b.CleanMac));
        Assert.Equal(ReasonCode.CleanMacMismatch, _h.LastVerdict.Reason);
        Assert.Empty(_h.ToNodes.Select(t => t.Message).OfType<Challenge>());
    }

    [Fact]
    public void Hello_with_an_unknown_name_is_denied_not_enrolled()
    {
        _h.Frame(_a, _a.Hello(name: "intruder"));
        AssertDenied(ReasonCode.NotEnrolled);
    }

    [Fact]
    public void Frames_from_an_unenrolled_port_or_switch_are_dropped_without_answer()
    {
        _h.Frame(_a, _a.Hello(), port: 7);
        _h.Frame(_a, _a.Hello(), dpid: 0xB2);
        Assert.Empty(_h.ToNodes);
        Assert.Equal(2, _h.Policy.Counters.Drops(DropReason.UnenrolledPort));
        Assert.DoesNotContain(_h.Audit, e => e.Event == "verdict");
    }

    [Fact]
    public void Evidence_with_a_spoofed_source_is_dropped_and_does_not_consume_the_nonce()
    {
        var challenge = _h.Challenge(_a);
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge), source: MacAddress.FromBytes([2, 9, 9, 9, 9, 9])));
        Assert.Equal(1, _h.Policy.Counters.Drops(DropReason.SourceMacMismatch));
        Assert.Equal(NodeGateState.Challenged, _h.Status(_a).State);
        _h.Frame(_a, _a.Frame(_a.Evidence(challenge)));
        Assert.Equal(VerdictKind.Admitted, _h.LastVerdict.Kind);
    }

    [Fact]
    public void Malformed_frames_are_dropped_counted_and_never_answered()
    {
        var frame = _a.Hello();
        frame[14] = 0x00; // magic
        _h.Frame(_a, frame);
        _h.Frame(_a, frame[..20]);
        Assert.Empty(_h.ToNodes);
        Assert.Equal(2, _h.Policy.Counters.Drops(DropReason.Malformed));
        Assert.Equal(1, _h.Policy.Counters.MalformedByError[FormatError.BadMagic]);
        Assert.Equal(2, _h.Dropped.Count(d => d.Reason == DropReason.Malformed && d.Port == _a.Port));
    }

    [Fact]
    public void Controller_messages_coming_from_a_port_are_dropped()
    {
        _h.Frame(_a, _a.Frame(Verdict.Admit(5, 30)));
        Assert.Empty(_h.ToNodes);
        Assert.Equal(1, _h.Policy.Counters.Drops(DropReason.UnexpectedMessageType));
    }
}
