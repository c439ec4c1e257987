using System.Text.Json.Nodes;
using SwitchGate.Attestation;
using static SwitchGate.Rack.Tests.AttackSupport;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// Attacks on the attestation exchange itself, end to end on the rack (OVS, swtpm, the real agent, the gate):
/// each must end in a denial (or silence) and no admission flow in the switch.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class ProtocolAttackTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    /// <summary>
    /// bs1 attests honestly while the attacker records its EVIDENCE; after that admission's lease ran out, the attacker
    /// sends a new HELLO and replays the recorded EVIDENCE as it was (old session), then rewritten into the new session
    /// (the quote's extraData is then the old nonce, not the one just issued). Both are denied; nothing is admitted.
    /// </summary>
    [Fact]
    public async Task Evidence_replayed_from_an_earlier_session_and_evidence_with_a_wrong_nonce_are_denied()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 3);
        var bs1 = rack.BootServer("bs1");
        using var sniffer = FrameSniffer.On(rack, "bs1");

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        var recorded = await sniffer.WaitForAsync<Evidence>(_ => true, Patience, "bs1's EVIDENCE");
        await rack.WaitForNoAdmissionAsync("bs1", Patience);

        // Replay as recorded: the old session has no outstanding challenge, its nonce was consumed.
        var challenge = await NextChallengeAsync(rack, sniffer, bs1);
        Assert.NotEqual(recorded.SessionId, challenge.SessionId);
        rack.SendFrames("bs1", AgentFrame(bs1.CleanMac, recorded));
        await rack.WaitForVerdictAsync("bs1", "denied/NonceUsed", Patience);

        // The same quote under the new session: the outstanding nonce is not the quote's extraData.
        rack.SendFrames("bs1", AgentFrame(bs1.CleanMac, WithSession(recorded, challenge.SessionId)));
        await rack.WaitForVerdictAsync("bs1", "denied/ExtraDataMismatch", Patience);
        await sniffer.WaitForAsync<Verdict>(v => v.SessionId == challenge.SessionId, Patience, "the Denied VERDICT on bs1's port");

        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));
        Assert.Single(rack.Verdicts("bs1"), v => v == "admitted/Admitted");
        Assert.False((await rack.PingAsync("bs1", "prod")).Succeeded);
    }

    /// <summary>
    /// The enrolled attestation key is bs2's, the quote comes from bs1's TPM (an impostor's TPM answering for the
    /// enrolled node): right nonce, right PCRs, right secret proof, wrong signer → denied BadSignature.
    /// </summary>
    [Fact]
    public async Task A_quote_signed_by_a_different_tpm_is_denied()
    {
        await using var rack = await RackFixture.StartAsync();
        await SwapEnrolmentAsync(rack, "bs1", record => record["ak_public"] = ReadRecord(rack, "bs2")["ak_public"]!.GetValue<string>());

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.Equal(2, attest.ExitCode);
        Assert.Contains("denied reason=BadSignature", attest.Output);
        Assert.Contains("denied/BadSignature", rack.Verdicts("bs1"));
        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));
    }

    /// <summary>
    /// An impostor answers bs1's challenge with another TPM: bs2's TPM quotes the challenged nonce with bs2's AK over
    /// the same clean PCR values, and the proof is even computed with bs1's real secret (a leaked record): only the
    /// signer is wrong → denied BadSignature, nothing admitted.
    /// </summary>
    [Fact]
    public async Task A_quote_over_the_right_nonce_from_another_nodes_tpm_is_denied()
    {
        await using var rack = await RackFixture.StartAsync();
        var bs1 = rack.BootServer("bs1");
        using var sniffer = FrameSniffer.On(rack, "bs1");
        var secret = TpmAttackSupport.UnsealOn(rack, bs1);

        var challenge = await NextChallengeAsync(rack, sniffer, bs1);
        using var proofKey = AttestationProof.DeriveKey(secret);
        var proof = AttestationProof.SignEvidence(proofKey, challenge.Nonce.Span, challenge.SessionId, bs1.CleanMac);
        var forged = TpmAttackSupport.QuoteOn(rack, rack.BootServer("bs2"), challenge.SessionId, challenge.Nonce, proof);
        rack.SendFrames("bs1", AgentFrame(bs1.CleanMac, forged));

        await rack.WaitForVerdictAsync("bs1", "denied/BadSignature", Patience);
        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));
        Assert.DoesNotContain(rack.Verdicts("bs1"), v => v.StartsWith("admitted/", StringComparison.Ordinal));
    }

    /// <summary>
    /// bs1 is enrolled with golden values that are not its own (another node's boot: a different kernel command line
    /// in PCR 8): its honest quote is denied PcrValuesNotGolden.
    /// </summary>
    [Fact]
    public async Task Golden_values_of_another_node_are_denied()
    {
        await using var rack = await RackFixture.StartAsync();
        // Another node's measured launch differs in PCR 8 (its kernel command line); everything else is bs1's.
        var otherPcr8 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData("another node's kernel command line"u8)).ToLowerInvariant();
        await SwapEnrolmentAsync(rack, "bs1", record =>
        {
            foreach (var set in record["golden_sets"]!.AsArray())
                set!["pcrs"]!["8"] = otherPcr8;
        });

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.Equal(2, attest.ExitCode);
        Assert.Contains("denied reason=PcrValuesNotGolden", attest.Output);
        Assert.Contains("denied/PcrValuesNotGolden", rack.Verdicts("bs1"));
        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));
    }

    /// <summary>
    /// After depart PCR 14 holds the dirty mark: with the clean MAC put back by hand the agent gets a CHALLENGE but the
    /// secret does not unseal (exit 4, not clean, no EVIDENCE sent). The attacker then quotes the challenge's nonce
    /// with the node's own TPM and enrolled AK (a genuine quote over PCRs that include the dirty mark) and adds a
    /// made-up proof: denied PcrValuesNotGolden, and nothing is admitted.
    /// </summary>
    [Fact]
    public async Task A_tainted_node_cannot_produce_a_proof_and_its_quote_with_a_made_up_proof_is_denied()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 3);
        var bs1 = rack.BootServer("bs1");
        using var sniffer = FrameSniffer.On(rack, "bs1");
        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        var depart = await rack.DepartAsync("bs1");
        Assert.True(depart.Succeeded, depart + rack.ControllerOutput());
        Assert.Contains("tainted pcr=14", depart.Output);

        await rack.SetMacAsync("bs1", bs1.CleanMac.ToString());
        var evidenceBefore = sniffer.Messages<Evidence>().Count;
        var tainted = await rack.AttestOnceAsync("bs1", 10);
        Assert.Equal(4, tainted.ExitCode);
        Assert.Contains("not-clean", tainted.Output);
        Assert.Equal(evidenceBefore, sniffer.Messages<Evidence>().Count);

        var challenge = await NextChallengeAsync(rack, sniffer, bs1);
        var madeUp = TpmAttackSupport.QuoteOn(rack, bs1, challenge.SessionId, challenge.Nonce, new byte[Limits.ProofLength]);
        rack.SendFrames("bs1", AgentFrame(bs1.CleanMac, madeUp));
        await rack.WaitForVerdictAsync("bs1", "denied/PcrValuesNotGolden", Patience);
        await sniffer.WaitForAsync<Verdict>(v => v.SessionId == challenge.SessionId, Patience, "the Denied VERDICT on bs1's port");
        Assert.Empty(await rack.AdmissionFlowsAsync("bs1"));
        Assert.Single(rack.Verdicts("bs1"), v => v == "admitted/Admitted");
    }

    /// <summary>Sends a HELLO(0) for <paramref name="node"/> from its port and returns the CHALLENGE that answers it.</summary>
    internal static async Task<Challenge> NextChallengeAsync(RackFixture rack, FrameSniffer sniffer, SwitchGate.Topology.BootServer node)
    {
        int seen = sniffer.Messages<Challenge>().Count;
        rack.SendFrames(node.Name, HelloFrame(node));
        var deadline = DateTime.UtcNow + Patience;
        while (sniffer.Messages<Challenge>().Count <= seen)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no CHALLENGE for {node.Name}'s HELLO\n{rack.ControllerOutput()}");
            await Task.Delay(100);
        }
        return sniffer.Messages<Challenge>()[seen];
    }

    private static JsonObject ReadRecord(RackFixture rack, string node) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(rack.EnrolmentDirectory, $"{node}.json")))!.AsObject();

    /// <summary>Rewrites a node's enrolment record (atomically, by rename) and waits until the gate re-read it.</summary>
    private static async Task SwapEnrolmentAsync(RackFixture rack, string node, Action<JsonObject> change)
    {
        var record = ReadRecord(rack, node);
        change(record);
        var scratch = Path.Combine(Path.GetTempPath(), $"sg-attack-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(scratch, record.ToJsonString());
        int fromLine = rack.Controller.LineCount;
        File.Move(scratch, Path.Combine(rack.EnrolmentDirectory, $"{node}.json"), overwrite: true);
        // The gate polls the directory every 0.5 s; give it a few polls (the machine is loaded).
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (DateTime.UtcNow < deadline && rack.Controller.LineCount == fromLine) await Task.Delay(200);
        await Task.Delay(1500);
    }
}
