using System.Security.Cryptography;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Core;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Ethernet;
using SwitchGate.TestSupport;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.BootAgent.Tests;

/// <summary>
/// The agent's half of secret rotation on real swtpms (issue 11 item 4): the ROTATE's secret is activated in the TPM
/// (TPM2_ActivateCredential with the enrolled AK and this TPM's EK), sealed again under the clean policy and installed
/// crash-safe; a credential wrapped to another TPM (or to another AK) cannot be unwrapped and changes nothing.
/// </summary>
[Trait("Requires", "swtpm")]
public sealed class RotationTests : IDisposable
{
    private static readonly NodeIdentity Identity = new("bs1", MacAddress.Parse("02-00-00-00-01-01"), MacAddress.Parse("02-00-00-00-01-02"));
    private const ulong Session = 0x5EC0;

    private readonly SwtpmInstance _tpmA = new();
    private readonly SwtpmInstance _tpmB = new();
    private readonly StateDirectory _stateA = new(Directory.CreateTempSubdirectory("sg-rotate-a-").FullName);
    private readonly StateDirectory _stateB = new(Directory.CreateTempSubdirectory("sg-rotate-b-").FullName);

    public void Dispose()
    {
        _tpmA.Dispose();
        _tpmB.Dispose();
        Directory.Delete(_stateA.Path, recursive: true);
        Directory.Delete(_stateB.Path, recursive: true);
    }

    private static async Task<EnrolmentRecord> EnrolAsync(SwtpmInstance swtpm, StateDirectory state)
    {
        await swtpm.Endpoint().PowerCycleAsync();
        using var tpm = await swtpm.Endpoint().ConnectAsync();
        await MeasuredLaunch.RunAsync(tpm);
        return await new AgentTpm(tpm, state).EnrolAsync(new EnrolRequest(Identity, 1, 3, DateTimeOffset.UtcNow));
    }

    private static async Task<T> WithTpm<T>(SwtpmInstance swtpm, StateDirectory state, Func<AgentTpm, Task<T>> body)
    {
        using var tpm = await swtpm.Endpoint().ConnectAsync();
        return await body(new AgentTpm(tpm, state));
    }

    private static Rotate Wrap(EnrolmentRecord ekOf, EnrolmentRecord akOf, byte[] secret, uint generation = 1)
    {
        var credential = MakeCredential.Create(Tpm2bPublic.Parse(ekOf.EkPublic!), Tpm2bPublic.Parse(akOf.AkPublic).ComputeName(), secret);
        return new Rotate(Session, generation, credential.CredentialBlob, credential.Secret);
    }

    private async Task<bool> ProvesWithAsync(byte[] proofKey)
    {
        var nonce = RandomNumberGenerator.GetBytes(32);
        var evidence = await WithTpm(_tpmA, _stateA, a => a.ProduceEvidenceAsync(Session, nonce, MeasuredLaunch.Selection.ToBytes(), Identity.CleanMac));
        return Proofs.Verify(proofKey, evidence, nonce, Identity.CleanMac);
    }

    private Dictionary<string, byte[]> Files() => Directory.GetFiles(_stateA.Path).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    [Fact]
    public async Task A_rotation_installs_the_new_secret_and_the_old_one_stops_proving()
    {
        var record = await EnrolAsync(_tpmA, _stateA);
        Assert.NotNull(record.EkPublic); // always enrolled now: the EK the controller wraps rotations to
        var next = RandomNumberGenerator.GetBytes(32);

        var rotated = await WithTpm(_tpmA, _stateA, a => a.RotateSecretAsync(Wrap(record, record, next), Identity.CleanMac));

        Assert.Equal((Session, 1u), (rotated.SessionId, rotated.Generation));
        using (var verifier = AttestationProof.ImportPublicKey(AttestationProof.PublicKeyOf(next))!)
            Assert.True(AttestationProof.VerifyRotated(verifier, rotated.Proof.Span, Session, 1, Identity.CleanMac));
        Assert.Equal(1u, _stateA.SecretGeneration);
        Assert.True(await ProvesWithAsync(AttestationProof.PublicKeyOf(next)));
        Assert.False(await ProvesWithAsync(record.ProofKey));
        var files = Files();
        Assert.Contains("seal-1.priv", files.Keys);
        Assert.DoesNotContain("seal.priv", files.Keys);
        Assert.All(files.Values, content => Assert.True(content.AsSpan().IndexOf(next) < 0, "the rotated secret is on disk in clear"));

        // A second rotation replaces the first; the agent always proves with the newest one installed.
        var third = RandomNumberGenerator.GetBytes(32);
        await WithTpm(_tpmA, _stateA, a => a.RotateSecretAsync(Wrap(record, record, third, 2), Identity.CleanMac));
        Assert.Equal(2u, _stateA.SecretGeneration);
        Assert.True(await ProvesWithAsync(AttestationProof.PublicKeyOf(third)));
        Assert.DoesNotContain("seal-1.priv", Files().Keys);
    }

    [Fact]
    public async Task A_rotation_wrapped_to_another_tpm_or_another_ak_cannot_be_unwrapped_and_changes_nothing()
    {
        var recordA = await EnrolAsync(_tpmA, _stateA);
        var recordB = await EnrolAsync(_tpmB, _stateB);
        var before = Files();
        var next = RandomNumberGenerator.GetBytes(32);

        // (c) Wrapped to B's EK (bound to A's AK name): A's TPM cannot activate it.
        await Assert.ThrowsAsync<CredentialActivationException>(() =>
            WithTpm(_tpmA, _stateA, a => a.RotateSecretAsync(Wrap(recordB, recordA, next), Identity.CleanMac)));
        // Wrapped to A's EK but bound to B's AK: A's TPM refuses it too (the AK Name is part of the integrity check).
        await Assert.ThrowsAsync<CredentialActivationException>(() =>
            WithTpm(_tpmA, _stateA, a => a.RotateSecretAsync(Wrap(recordA, recordB, next), Identity.CleanMac)));
        // (d) Garbage in well-formed frames.
        await Assert.ThrowsAsync<CredentialActivationException>(() =>
            WithTpm(_tpmA, _stateA, a => a.RotateSecretAsync(new Rotate(Session, 1, new byte[70], new byte[256]), Identity.CleanMac)));
        await Assert.ThrowsAsync<CredentialActivationException>(() =>
            WithTpm(_tpmA, _stateA, a => a.RotateSecretAsync(new Rotate(Session, 1, new byte[4], new byte[1]), Identity.CleanMac)));

        var after = Files();
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        Assert.All(before, kv => Assert.Equal(kv.Value, after[kv.Key]));
        Assert.Equal(0u, _stateA.SecretGeneration);
        Assert.True(await ProvesWithAsync(recordA.ProofKey));
    }

    [Fact]
    public async Task Blobs_left_by_a_crash_before_the_commit_are_not_used()
    {
        var record = await EnrolAsync(_tpmA, _stateA);
        // A crash after the new pair was written and before the pointer: what is on disk then.
        File.Copy(Path.Combine(_stateA.Path, "ak.pub"), Path.Combine(_stateA.Path, "seal-1.pub"));
        File.Copy(Path.Combine(_stateA.Path, "ak.priv"), Path.Combine(_stateA.Path, "seal-1.priv"));
        Assert.Equal(0u, _stateA.SecretGeneration);
        Assert.True(await ProvesWithAsync(record.ProofKey));

        // The next rotation of that generation completes and replaces the leftovers.
        var next = RandomNumberGenerator.GetBytes(32);
        await WithTpm(_tpmA, _stateA, a => a.RotateSecretAsync(Wrap(record, record, next), Identity.CleanMac));
        Assert.True(await ProvesWithAsync(AttestationProof.PublicKeyOf(next)));
    }

    [Fact]
    public async Task A_damaged_generation_pointer_is_a_named_error_not_a_silent_fallback()
    {
        await EnrolAsync(_tpmA, _stateA);
        File.WriteAllText(Path.Combine(_stateA.Path, "secret.json"), "{\"generation\": 0}");
        Assert.Contains("secret.json", Assert.Throws<AgentConfigurationException>(() => _stateA.SecretGeneration).Message);
    }
}
