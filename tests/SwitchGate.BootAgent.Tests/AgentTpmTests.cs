using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Tpm;
using SwitchGate.Ethernet;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.BootAgent.Tests;

/// <summary>The agent's TPM side on a real swtpm: measured launch, enrolment, unseal, quote, the dirty mark and reboots.</summary>
[Trait("Requires", "swtpm")]
public sealed class AgentTpmTests : IClassFixture<AgentTpmTests.TpmFixture>, IDisposable
{
    public sealed class TpmFixture : IDisposable
    {
        public SwtpmInstance Swtpm { get; } = new();

        public void Dispose() => Swtpm.Dispose();
    }

    private static readonly NodeIdentity Identity = new("bs1",
        MacAddress.Parse("02-00-00-00-01-01"), MacAddress.Parse("02-00-00-00-01-02"));

    private readonly SwtpmInstance _swtpm;
    private readonly StateDirectory _state;

    public AgentTpmTests(TpmFixture fixture)
    {
        _swtpm = fixture.Swtpm;
        _state = new StateDirectory(Directory.CreateTempSubdirectory("sg-agent-state-").FullName);
    }

    public void Dispose() => Directory.Delete(_state.Path, recursive: true);

    /// <summary>Every test starts from a fresh boot: reboot, measured launch, enrolment.</summary>
    private async Task<EnrolmentRecord> BootAndEnrolAsync(byte[]? agentDigest = null)
    {
        await _swtpm.Endpoint().PowerCycleAsync();
        using var tpm = await _swtpm.Endpoint().ConnectAsync();
        await MeasuredLaunch.RunAsync(tpm, agentDigest);
        return await new AgentTpm(tpm, _state).EnrolAsync(new EnrolRequest(Identity, 1, 3, DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task One_exchange_creates_the_SRK_once_and_leaves_nothing_loaded()
    {
        await BootAndEnrolAsync();
        var counting = new CommandCounter(await SwitchGate.Tpm.Transport.SwtpmTransport.ConnectAsync("127.0.0.1", _swtpm.Port));
        using var tpm = new Tpm2(counting);
        await new AgentTpm(tpm, _state).ProduceEvidenceAsync(7, new byte[32], MeasuredLaunch.Selection.ToBytes(), Identity.CleanMac);
        Assert.Equal(1, counting.Count(CreatePrimary));
        await AssertNoTransientObjectsAsync(tpm);
    }

    private const uint CreatePrimary = 0x0000_0131; // TPM_CC_CreatePrimary (Part 2, §6.5.2)

    /// <summary>Counts the commands sent, by command code (header octets 6-9).</summary>
    private sealed class CommandCounter(SwitchGate.Tpm.Transport.ITpmTransport inner) : SwitchGate.Tpm.Transport.ITpmTransport
    {
        private readonly List<uint> _codes = [];

        public int Count(uint code) => _codes.Count(c => c == code);

        public Task<byte[]> SendAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken = default)
        {
            _codes.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(command.Span[6..10]));
            return inner.SendAsync(command, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }

    private async Task<T> WithTpm<T>(Func<Tpm2, AgentTpm, Task<T>> body)
    {
        using var tpm = await _swtpm.Endpoint().ConnectAsync();
        return await body(tpm, new AgentTpm(tpm, _state));
    }

    private static async Task AssertNoTransientObjectsAsync(Tpm2 tpm)
    {
        Assert.Empty(await tpm.GetHandlesAsync(TpmRh.TransientFirst));
    }

    [Fact]
    public async Task Enrolment_record_is_valid_its_golden_set_is_the_TPMs_PCRs_and_its_AK_verifies_the_agents_quote()
    {
        var record = await BootAndEnrolAsync();
        var reparsed = EnrolmentRecord.FromJson(record.ToJson());
        Assert.Equal("sha256:0,4,8,9,14", reparsed.PcrSelection.ToString());
        Assert.StartsWith("enrolled-", reparsed.GoldenSets.Single().Name);

        var nonce = Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray();
        const ulong session = 0xFEEDFACE01020304;
        var (pcrs, evidence) = await WithTpm(async (tpm, agent) =>
        {
            var values = (await tpm.PcrReadAsync(MeasuredLaunch.Selection)).Values;
            var e = await agent.ProduceEvidenceAsync(session, nonce, MeasuredLaunch.Selection.ToBytes(), Identity.CleanMac);
            await AssertNoTransientObjectsAsync(tpm);
            return (values, e);
        });

        var golden = reparsed.GoldenSets.Single().Values;
        Assert.Equal(new[] { 0, 4, 8, 9, 14 }, golden.Keys.Order());
        Assert.Equal(pcrs, new[] { 0, 4, 8, 9, 14 }.Select(p => golden[p]));
        Assert.Equal(new byte[32], golden[14]);
        Assert.Equal(SimulateExtend(32, MeasuredLaunch.AgentDigest()), golden[9].ToHex());

        using var verifier = new QuoteVerifier(AttestationKey.FromTpm2bPublic(reparsed.AkPublic));
        var verdict = verifier.Verify(evidence.Attest.Span, evidence.Signature.Span, nonce, MeasuredLaunch.Selection,
            evidence.PcrValues.Select(v => v.ToArray()).ToList());
        Assert.True(verdict.IsValid, verdict.ToString());
        Assert.Equal(pcrs, evidence.PcrValues.Select(v => v.ToArray()));
        Assert.True(Proofs.Verify(reparsed.ProofKey, evidence, nonce, Identity.CleanMac));
    }

    /// <summary>PCR 9 after one extend from zero: SHA-256(0^32 ‖ digest) (TPM 2.0 Part 1, §17.2 PCR extend).</summary>
    private static string SimulateExtend(int size, byte[] digest) =>
        System.Security.Cryptography.SHA256.HashData(new byte[size].Concat(digest).ToArray()).ToHex();

    [Fact]
    public async Task Unseal_works_in_clean_mode_and_returns_the_enrolled_secret()
    {
        var record = await BootAndEnrolAsync();
        var secret = await WithTpm(async (tpm, agent) =>
        {
            var s = await agent.UnsealSecretAsync();
            await AssertNoTransientObjectsAsync(tpm);
            return s;
        });
        Assert.Equal(record.ProofKey, AttestationProof.PublicKeyOf(secret));
    }

    [Fact]
    public async Task After_the_dirty_mark_no_proof_can_be_produced_until_a_reboot_and_measured_launch()
    {
        var record = await BootAndEnrolAsync();
        await WithTpm(async (tpm, _) =>
        {
            await MeasuredLaunch.ExtendDirtyMarkAsync(tpm);
            return 0;
        });

        // Attack: a dirty node tries to unseal, to prove an EVIDENCE, and to prove a DEPART.
        var unseal = await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) => agent.UnsealSecretAsync()));
        var rc = Assert.IsType<TpmException>(unseal.InnerException).ResponseCode;
        Assert.Equal("TPM_RC_POLICY_FAIL", rc.Name);
        await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) =>
            agent.ProduceEvidenceAsync(1, new byte[32], MeasuredLaunch.Selection.ToBytes(), Identity.CleanMac)));
        await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) => agent.ProduceDepartProofAsync(1, new byte[32], Identity.CleanMac)));
        await WithTpm(async (tpm, _) =>
        {
            await AssertNoTransientObjectsAsync(tpm);
            // Extending PCR 14 again cannot bring it back, and neither can re-running the launch.
            await MeasuredLaunch.ExtendDirtyMarkAsync(tpm);
            await Assert.ThrowsAsync<AlreadyMeasuredException>(() => MeasuredLaunch.RunAsync(tpm));
            return 0;
        });
        await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) => agent.UnsealSecretAsync()));

        // A reboot alone is not enough (the launch PCRs are zero), the measured launch after it is.
        await _swtpm.Endpoint().PowerCycleAsync();
        await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) => agent.UnsealSecretAsync()));
        await WithTpm(async (tpm, _) =>
        {
            await MeasuredLaunch.RunAsync(tpm);
            return 0;
        });
        Assert.Equal(record.ProofKey, AttestationProof.PublicKeyOf(await WithTpm((_, agent) => agent.UnsealSecretAsync())));
    }

    [Fact]
    public async Task Emulated_reboot_increases_resetCount()
    {
        var record = await BootAndEnrolAsync();
        using var verifier = new QuoteVerifier(AttestationKey.FromTpm2bPublic(record.AkPublic));

        async Task<uint> ResetCountAsync()
        {
            var nonce = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
            var e = await WithTpm((_, agent) => agent.ProduceEvidenceAsync(9, nonce, MeasuredLaunch.Selection.ToBytes(), Identity.CleanMac));
            var verdict = verifier.Verify(e.Attest.Span, e.Signature.Span, nonce, MeasuredLaunch.Selection, e.PcrValues.Select(v => v.ToArray()).ToList());
            Assert.True(verdict.IsValid, verdict.ToString());
            return verdict.ClockInfo!.Value.ResetCount;
        }

        var before = await ResetCountAsync();
        await _swtpm.Endpoint().PowerCycleAsync();
        await WithTpm(async (tpm, _) =>
        {
            await MeasuredLaunch.RunAsync(tpm);
            return 0;
        });
        Assert.Equal(before + 1, await ResetCountAsync());
    }

    [Fact]
    public async Task A_modified_agent_binary_measures_another_PCR_9_and_cannot_unseal()
    {
        await BootAndEnrolAsync();
        await _swtpm.Endpoint().PowerCycleAsync();
        var modified = MeasuredLaunch.AgentDigest();
        modified[0] ^= 1;
        await WithTpm(async (tpm, _) =>
        {
            await MeasuredLaunch.RunAsync(tpm, modified);
            return 0;
        });
        await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) => agent.UnsealSecretAsync()));
    }

    [Fact]
    public async Task Enrolment_is_refused_outside_clean_mode()
    {
        await _swtpm.Endpoint().PowerCycleAsync();
        await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) =>
            agent.EnrolAsync(new EnrolRequest(Identity, 1, 3, DateTimeOffset.UtcNow))));
        await WithTpm(async (tpm, _) =>
        {
            await MeasuredLaunch.RunAsync(tpm);
            await MeasuredLaunch.ExtendDirtyMarkAsync(tpm);
            return 0;
        });
        await Assert.ThrowsAsync<NotCleanException>(() => WithTpm((_, agent) =>
            agent.EnrolAsync(new EnrolRequest(Identity, 1, 3, DateTimeOffset.UtcNow))));
    }

    [Fact]
    public void Tpm_spec_parsing()
    {
        Assert.Equal(2322, TpmEndpoint.Parse("tcp:127.0.0.1:2321").ControlPort);
        Assert.Equal("/dev/tpmrm0", TpmEndpoint.Parse("device:/dev/tpmrm0").DevicePath);
        foreach (var bad in new[] { "", "tcp:", "tcp:host", "tcp:host:0", "tcp:host:x", "device:", "/dev/tpm0" })
        {
            Assert.Throws<AgentConfigurationException>(() => TpmEndpoint.Parse(bad));
        }
    }
}

internal static class HexExtensions
{
    public static string ToHex(this byte[] b) => Convert.ToHexStringLower(b);
}
