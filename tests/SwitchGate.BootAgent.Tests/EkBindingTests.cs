using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Core;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Ethernet;
using SwitchGate.Gate.Enrolment;
using SwitchGate.Topology;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.BootAgent.Tests;

/// <summary>
/// A swtpm manufactured by <c>swtpm_setup --create-ek-cert</c> with a local CA of its own (a temporary directory):
/// the EK certificate in NV, the CA that signed it, and an agent state directory.
/// </summary>
internal sealed class ManufacturedTpm : IAsyncDisposable
{
    private ManufacturedTpm(string directory, SwtpmInstance swtpm)
    {
        Directory = directory;
        Swtpm = swtpm;
        State = new StateDirectory(System.IO.Directory.CreateDirectory(Path.Combine(directory, "agent")).FullName);
    }

    public string Directory { get; }
    public SwtpmInstance Swtpm { get; }
    public StateDirectory State { get; }

    /// <summary>The local CA's root and issuing certificates (what an operator configures as the EK CA bundle).</summary>
    public X509Certificate2[] CaBundle =>
        [.. new[] { "swtpm-localca-rootca-cert.pem", "issuercert.pem" }.Select(f => X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(Directory, "ca", f))))];

    public static async Task<ManufacturedTpm> CreateAsync()
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("sg-ek-").FullName;
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "ca"));
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "state"));
        File.WriteAllText(Path.Combine(dir, "localca.conf"),
            $"statedir = {dir}/ca\nsigningkey = {dir}/ca/signkey.pem\nissuercert = {dir}/ca/issuercert.pem\ncertserial = {dir}/ca/certserial\n");
        File.WriteAllText(Path.Combine(dir, "setup.conf"),
            $"create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = {dir}/localca.conf\n"
            + "create_certs_tool_options = /etc/swtpm-localca.options\nactive_pcr_banks = sha256\n");
        await CommandRunner.RunAsync("swtpm_setup", ["--tpm2", "--tpmstate", Path.Combine(dir, "state"), "--config", Path.Combine(dir, "setup.conf"),
            "--create-ek-cert", "--overwrite"], TimeSpan.FromSeconds(60));
        return new ManufacturedTpm(dir, SwtpmInstance.Start(Path.Combine(dir, "state")));
    }

    public async ValueTask DisposeAsync()
    {
        await Swtpm.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>
/// The AK bound to the EK at enrolment, on swtpm, as attacks: the EK certificate chains to the configured EK CA and
/// certifies the reported EK (another TPM's CA or EK is refused); the controller's secret, encrypted to the EK and
/// bound to the AK's Name, is recovered only by the TPM holding both, and a foreign AK (another TPM's key offered with
/// this TPM's certified EK) gets nothing, so it can never produce a valid proof.
/// </summary>
[Trait("Requires", "swtpm")]
public sealed class EkBindingTests
{
    private static readonly NodeIdentity Identity = new("bs1", MacAddress.Parse("02-00-00-00-01-01"), MacAddress.Parse("02-00-00-00-01-02"));

    private static async Task<EnrolmentRecord> BootAndEnrolAsync(ManufacturedTpm node)
    {
        await node.Swtpm.Endpoint().PowerCycleAsync();
        using var tpm = await node.Swtpm.Endpoint().ConnectAsync();
        await MeasuredLaunch.RunAsync(tpm);
        return await new AgentTpm(tpm, node.State).EnrolAsync(new EnrolRequest(Identity, 1, 3, DateTimeOffset.UtcNow));
    }

    private static async Task<(TpmtPublic Ek, byte[] Certificate)> ReadEndorsementAsync(ManufacturedTpm node)
    {
        using var tpm = await node.Swtpm.Endpoint().ConnectAsync();
        return await Endorsement.ReadAsync(tpm);
    }

    private static async Task<Evidence> EvidenceAsync(ManufacturedTpm node, byte[] nonce)
    {
        using var tpm = await node.Swtpm.Endpoint().ConnectAsync();
        return await new AgentTpm(tpm, node.State).ProduceEvidenceAsync(7, nonce, MeasuredLaunch.Selection.ToBytes(), Identity.CleanMac);
    }

    private static async Task ActivateAsync(ManufacturedTpm node, CredentialChallenge challenge)
    {
        using var tpm = await node.Swtpm.Endpoint().ConnectAsync();
        await new AgentTpm(tpm, node.State).ActivateSecretAsync(challenge);
    }

    [Fact]
    public async Task The_ek_certificate_chains_to_its_ca_and_certifies_the_ek_another_tpms_ca_or_ek_is_refused()
    {
        await using var a = await ManufacturedTpm.CreateAsync();
        await using var b = await ManufacturedTpm.CreateAsync();
        await a.Swtpm.Endpoint().PowerCycleAsync();
        await b.Swtpm.Endpoint().PowerCycleAsync();
        var (ekA, certA) = await ReadEndorsementAsync(a);
        var (ekB, _) = await ReadEndorsementAsync(b);

        Assert.Null(Endorsement.CheckEk(certA, ekA, a.CaBundle, DateTime.UtcNow));
        // Another local CA (same names, other keys): the chain does not verify.
        Assert.Contains("does not chain to the configured EK CA", Endorsement.CheckEk(certA, ekA, b.CaBundle, DateTime.UtcNow));
        // A genuine certificate offered for another TPM's EK.
        Assert.Contains("certifies another key", Endorsement.CheckEk(certA, ekB, a.CaBundle, DateTime.UtcNow));
        // Not a certificate; not an EK.
        Assert.Contains("not an X.509 certificate", Endorsement.CheckEk([0x30, 0x03, 0x02, 0x01, 0x00], ekA, a.CaBundle, DateTime.UtcNow));
        Assert.Contains("not a TPM-resident restricted decryption key",
            Endorsement.CheckEk(certA, ekA with { ObjectAttributes = ekA.ObjectAttributes | TpmaObject.Sign }, a.CaBundle, DateTime.UtcNow));
    }

    [Fact]
    public async Task The_controller_secret_is_recovered_only_by_the_tpm_holding_the_ek_and_the_ak()
    {
        await using var a = await ManufacturedTpm.CreateAsync();
        var record = await BootAndEnrolAsync(a);
        // The enrolment record carries what the controller checks: the EK, its certificate, the AK's qualified name.
        var ek = Tpm2bPublic.Parse(record.EkPublic!);
        Assert.Null(Endorsement.CheckEk(record.EkCertificate!, ek, a.CaBundle, DateTime.UtcNow));
        var ak = Tpm2bPublic.Parse(record.AkPublic);
        Assert.Null(Endorsement.CheckAk(ak));

        // The controller: a new secret, encrypted to the EK, bound to the AK's Name.
        var secret = RandomNumberGenerator.GetBytes(EnrolmentRecord.SecretLength);
        await ActivateAsync(a, MakeCredential.Create(ek, ak.ComputeName(), secret));

        // The agent now proves the controller's secret (sealed, never written in clear) in its evidence.
        var nonce = RandomNumberGenerator.GetBytes(32);
        var evidence = await EvidenceAsync(a, nonce);
        Assert.True(Proofs.Verify(AttestationProof.PublicKeyOf(secret), evidence, nonce, Identity.CleanMac));
        Assert.False(Proofs.Verify(record.ProofKey, evidence, nonce, Identity.CleanMac));
        foreach (var file in Directory.GetFiles(a.State.Path))
            Assert.False(File.ReadAllBytes(file).AsSpan().IndexOf(secret) >= 0, $"{file} holds the secret in clear");
    }

    [Fact]
    public async Task The_verifier_requires_the_quote_to_name_the_enrolled_aks_qualified_name()
    {
        await using var a = await ManufacturedTpm.CreateAsync();
        var record = await BootAndEnrolAsync(a);
        var nonce = RandomNumberGenerator.GetBytes(32);
        var evidence = await EvidenceAsync(a, nonce);
        var values = evidence.PcrValues.Select(v => v.ToArray()).ToList();
        using (var verifier = new QuoteVerifier(AttestationKey.FromTpm2bPublic(record.AkPublic), record.AkQualifiedName))
            Assert.True(verifier.Verify(evidence.Attest.Span, evidence.Signature.Span, nonce, MeasuredLaunch.Selection, values).IsValid);
        // The AK's Name is not its qualified name: a verifier expecting anything else refuses the same quote.
        var name = Tpm2bPublic.Parse(record.AkPublic).ComputeName();
        using (var verifier = new QuoteVerifier(AttestationKey.FromTpm2bPublic(record.AkPublic), name))
            Assert.Equal(QuoteCheck.Signer, verifier.Verify(evidence.Attest.Span, evidence.Signature.Span, nonce, MeasuredLaunch.Selection, values).FailedCheck);
    }

    [Fact]
    public async Task A_foreign_ak_offered_with_a_certified_ek_never_learns_the_secret()
    {
        await using var a = await ManufacturedTpm.CreateAsync();
        await using var b = await ManufacturedTpm.CreateAsync();
        await BootAndEnrolAsync(a);
        var recordB = await BootAndEnrolAsync(b);
        var (ekA, certA) = await ReadEndorsementAsync(a);
        Assert.Null(Endorsement.CheckEk(certA, ekA, a.CaBundle, DateTime.UtcNow));

        // The attacker enrols TPM B's AK (which it controls) with TPM A's genuine, certified EK.
        var foreignAk = Tpm2bPublic.Parse(recordB.AkPublic);
        Assert.Null(Endorsement.CheckAk(foreignAk)); // nothing in the public data gives it away
        var secret = RandomNumberGenerator.GetBytes(EnrolmentRecord.SecretLength);
        var challenge = MakeCredential.Create(ekA, foreignAk.ComputeName(), secret);

        // TPM B holds the AK but not the EK; TPM A holds the EK but not that AK: both refuse.
        var onB = await Assert.ThrowsAsync<CredentialActivationException>(() => ActivateAsync(b, challenge));
        Assert.Contains("credential activation failed", onB.Message);
        var onA = await Assert.ThrowsAsync<CredentialActivationException>(() => ActivateAsync(a, challenge));
        Assert.Contains("TPM_RC_INTEGRITY", onA.Message);

        // So TPM B's evidence never carries a proof made with the controller's secret: the gate denies BadSecretProof.
        var nonce = RandomNumberGenerator.GetBytes(32);
        var evidence = await EvidenceAsync(b, nonce);
        Assert.False(Proofs.Verify(AttestationProof.PublicKeyOf(secret), evidence, nonce, Identity.CleanMac));
    }

    /// <summary>
    /// The operator's flow: `switchgate-agent enrol` (the record carries the EK and its certificate), the controller's
    /// bind (EK certificate checked, secret issued through the EK), `switchgate-agent activate`; a gate with the EK CA
    /// loads the bound record and refuses the agent's unbound one; a record whose EK certificate comes from another
    /// CA is refused by bind.
    /// </summary>
    [Fact]
    public async Task Enrol_bind_activate_and_a_gate_with_the_ek_ca_loads_only_the_bound_record()
    {
        await using var a = await ManufacturedTpm.CreateAsync();
        await using var b = await ManufacturedTpm.CreateAsync();
        var dir = Directory.CreateDirectory(Path.Combine(a.Directory, "work")).FullName;
        Task<int> Agent(params string[] args) =>
            AgentCommands.Build().Parse([.. args, "--tpm", a.Swtpm.Spec, "--state-dir", a.State.Path, "--interface", "lo"]).InvokeAsync();
        await a.Swtpm.Endpoint().PowerCycleAsync();
        Assert.Equal(ExitCodes.Ok, await Agent("measure"));
        Assert.Equal(ExitCodes.Ok, await Agent("enrol", "--node", "bs1", "--datapath-id", "0x2a", "--port", "7",
            "--clean-mac", "02:00:00:00:01:01", "--dirty-mac", "02:00:00:00:01:02", "--out", Path.Combine(dir, "request.json")));
        var request = EnrolmentRecord.FromJson(File.ReadAllBytes(Path.Combine(dir, "request.json")));
        Assert.NotNull(request.EkCertificate);
        Assert.False(request.AkBoundToEk);

        Assert.Contains("does not chain", Assert.Throws<EnrolmentFormatException>(() => EkBinding.Bind(request, b.CaBundle, DateTime.UtcNow)).Message);
        var (bound, credential) = EkBinding.Bind(request, a.CaBundle, DateTime.UtcNow);
        Assert.NotEqual(request.ProofKey, bound.ProofKey);
        File.WriteAllBytes(Path.Combine(dir, "other.credential"), CredentialFile.ToJson("bs2", credential));
        Assert.Equal(ExitCodes.Usage, await Agent("activate", "--credential", Path.Combine(dir, "other.credential")));
        File.WriteAllBytes(Path.Combine(dir, "bs1.credential"), CredentialFile.ToJson("bs1", credential));
        Assert.Equal(ExitCodes.Ok, await Agent("activate", "--credential", Path.Combine(dir, "bs1.credential")));

        var nonce = RandomNumberGenerator.GetBytes(32);
        var evidence = await EvidenceAsync(a, nonce);
        Assert.True(Proofs.Verify(bound.ProofKey, evidence, nonce, Identity.CleanMac));

        var enrolments = Directory.CreateDirectory(Path.Combine(dir, "enrolments")).FullName;
        File.WriteAllBytes(Path.Combine(enrolments, "bs1.json"), bound.ToJson());
        File.WriteAllBytes(Path.Combine(enrolments, "bs2.json"), (request with
        {
            Node = "bs2", Port = 8, CleanMac = MacAddress.Parse("02-00-00-00-02-01"), DirtyMac = MacAddress.Parse("02-00-00-00-02-02"),
        }).ToJson());
        var snapshot = new EnrolmentStore(enrolments, a.CaBundle).Load();
        Assert.Equal(["bs1"], snapshot.Records.Select(r => r.Node));
        Assert.Contains(snapshot.Rejected, r => r.StartsWith("bs2.json:") && r.Contains("ak_bound_to_ek"));
        var other = new EnrolmentStore(enrolments, b.CaBundle).Load();
        Assert.Empty(other.Records);
        Assert.Contains(other.Rejected, r => r.StartsWith("bs1.json:") && r.Contains("does not chain"));
    }
}
