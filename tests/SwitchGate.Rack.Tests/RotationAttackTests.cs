using SwitchGate.Attestation;
using System.Text.Json;
using static SwitchGate.Rack.Tests.AttackSupport;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// Issue 11 item 4, secret rotation, as attacks on the rack (OVS, swtpm, the real agent and controller): after each
/// admission the controller hands the agent a new secret wrapped to its TPM's EK (ROTATE before the VERDICT), the agent
/// activates and seals it, proves it (ROTATED), and the controller forgets the old verifier. A stolen secret, or a
/// stolen copy of the agent's old sealed state, then no longer admits.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
public sealed class RotationAttackTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task A_stolen_secret_and_a_stolen_old_sealed_state_die_at_the_next_admission()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 20);
        var bs1 = rack.BootServer("bs1");
        using var sniffer = FrameSniffer.On(rack, "bs1");

        // The thief owns bs1 while it is clean: the secret (unsealed) and a copy of the agent's state (sealed blobs).
        var stolen = TpmAttackSupport.UnsealOn(rack, bs1);
        var stolenState = Path.Combine(rack.WorkDirectory, "stolen-state");
        CopyDirectory(bs1.StateDirectory, stolenState);

        var attest = await rack.AttestOnceAsync("bs1");
        Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
        Assert.Contains("rotated generation=1", attest.Output);
        await sniffer.WaitForAsync<Rotate>(r => r.Generation == 1, Patience, "the ROTATE on bs1's port");
        await WaitForAuditAsync(rack, "secret_rotated", "generation 1 proven by ROTATED");
        // The controller's verifier state: generation 1 in use, nothing pending, and only public points.
        using var state = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(rack.EnrolmentDirectory, "bs1.proofkey")));
        Assert.Equal(1u, state.RootElement.GetProperty("generation").GetUInt32());
        Assert.False(state.RootElement.TryGetProperty("pending", out _));
        var current = TpmAttackSupport.UnsealOn(rack, bs1);
        Assert.NotEqual(stolen, current);
        Assert.Equal(Convert.ToBase64String(AttestationProof.PublicKeyOf(current)), state.RootElement.GetProperty("proof_key").GetString());

        // (a) bs1's own TPM quotes correctly; only the proof is the thief's: denied.
        await SendForgedEvidenceAsync(rack, sniffer, bs1, stolen);
        await rack.WaitForVerdictAsync("bs1", "denied/BadSecretProof", Patience);
        // The same forgery with the secret in use passes, so the denial above is the rotation's doing.
        int admitted = rack.Verdicts("bs1").Count(v => v == "admitted/Admitted");
        await SendForgedEvidenceAsync(rack, sniffer, bs1, current);
        await WaitUntilAsync(() => rack.Verdicts("bs1").Count(v => v == "admitted/Admitted") > admitted, "the control admission");

        // (a) The old sealed blob with its old state, put back: the agent unseals the old secret and is denied.
        Directory.Delete(bs1.StateDirectory, recursive: true);
        CopyDirectory(stolenState, bs1.StateDirectory);
        var replayed = await rack.AttestOnceAsync("bs1");
        Assert.Equal(2, replayed.ExitCode);
        Assert.Contains("denied reason=BadSecretProof", replayed.Output);
    }

    /// <summary>The rotated verifier is durable: a restarted controller admits the agent's new secret and rotates on.</summary>
    [Fact]
    public async Task A_restarted_controller_keeps_the_rotated_verifier()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 20);
        var first = await rack.AttestOnceAsync("bs1");
        Assert.True(first.Succeeded, first + rack.ControllerOutput());
        Assert.Contains("rotated generation=1", first.Output);
        await WaitForAuditAsync(rack, "secret_rotated", "generation 1 proven by ROTATED");

        await rack.RestartControllerAsync();
        var second = await rack.AttestOnceAsync("bs1");
        Assert.True(second.Succeeded, second + rack.ControllerOutput());
        Assert.Contains("rotated generation=2", second.Output);
        await WaitForAuditAsync(rack, "secret_rotated", "generation 2 proven by ROTATED");
    }

    private static async Task SendForgedEvidenceAsync(RackFixture rack, FrameSniffer sniffer, SwitchGate.Topology.BootServer node, byte[] secret)
    {
        var challenge = await ProtocolAttackTests.NextChallengeAsync(rack, sniffer, node);
        using var key = AttestationProof.DeriveKey(secret);
        var proof = AttestationProof.SignEvidence(key, challenge.Nonce.Span, challenge.SessionId, node.CleanMac);
        rack.SendFrames(node.Name, AgentFrame(node.CleanMac, TpmAttackSupport.QuoteOn(rack, node, challenge.SessionId, challenge.Nonce, proof)));
    }

    private static Task WaitForAuditAsync(RackFixture rack, string evt, string detail) =>
        WaitUntilAsync(() => rack.AuditEntries().Any(e => e.TryGetProperty("event", out var v) && v.GetString() == evt
            && e.TryGetProperty("detail", out var d) && d.GetString()!.Contains(detail, StringComparison.Ordinal)), $"audit {evt}: {detail}\n{rack.ControllerOutput()}");

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {Patience.TotalSeconds} s for {what}");
            await Task.Delay(100);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from).Where(f => !f.EndsWith(".sock", StringComparison.Ordinal)))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }
}
