using System.Security.Cryptography;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Policy;
using SwitchGate.Tpm.Sessions;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Tpm.Tests;

/// <summary>Sealing to PCRs: interop with tpm2_createpolicy/tpm2_create/tpm2_unseal and behaviour across extend and reboot.</summary>
[Trait("Requires", "swtpm")]
[Trait("Requires", "tpm2-tools")]
public sealed class SealingTests(SwtpmInstance swtpm) : IClassFixture<SwtpmInstance>
{
    private const uint SrkHandle = 0x8100_0101;
    private static readonly TpmlPcrSelection Pcrs = TpmlPcrSelection.Parse("sha256:16,23");

    /// <summary>A persistent ECC SRK both we and tpm2-tools use as parent (EvictControl survives reboots).</summary>
    private static async Task EnsureSrkAsync(Tpm2 tpm)
    {
        if ((await tpm.GetHandlesAsync(TpmRh.PersistentFirst)).Contains(SrkHandle)) return;
        await using var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey());
        await tpm.EvictControlAsync(srk.Handle, SrkHandle);
    }

    [Fact]
    public async Task Offline_PolicyPCR_digest_equals_tpm2_createpolicy_and_a_trial_session()
    {
        byte[][] values;
        byte[] trial;
        using (var tpm = await swtpm.ConnectAsync())
        {
            values = (await tpm.PcrReadAsync(Pcrs)).Values;
            var session = await tpm.StartAuthSessionAsync(TpmSe.Trial);
            try
            {
                await tpm.PolicyPcrAsync(session, Pcrs);
                trial = await tpm.PolicyGetDigestAsync(session);
            }
            finally
            {
                await tpm.FlushContextAsync(session.Handle);
            }
        }
        var offline = PolicyDigest.PolicyPcr(Pcrs, values);
        Assert.Equal(trial, offline);

        swtpm.ToolOk("tpm2_createpolicy", "--policy-pcr", "-l", "sha256:16,23", "-L", "pcr-current.policy");
        Assert.Equal(File.ReadAllBytes(swtpm.PathOf("pcr-current.policy")), offline);

        // Arbitrary (golden) values supplied from a file, as the controller would when enrolling a node.
        var golden = new[] { SHA256.HashData("kernel"u8), SHA256.HashData("initrd"u8) };
        File.WriteAllBytes(swtpm.PathOf("golden.vals"), golden.SelectMany(v => v).ToArray());
        swtpm.ToolOk("tpm2_createpolicy", "--policy-pcr", "-l", "sha256:16,23", "-f", "golden.vals", "-L", "pcr-golden.policy");
        Assert.Equal(File.ReadAllBytes(swtpm.PathOf("pcr-golden.policy")), PolicyDigest.PolicyPcr(Pcrs, golden));
    }

    [Fact]
    public async Task Sealed_by_us_unseals_with_tpm2_unseal()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        using (var tpm = await swtpm.ConnectAsync())
        {
            await EnsureSrkAsync(tpm);
            var sealedObject = await tpm.SealAsync(SrkHandle, secret, Pcrs);
            File.WriteAllBytes(swtpm.PathOf("ours.pub"), Tpm2bPublic.ToBytes(sealedObject.Public));
            File.WriteAllBytes(swtpm.PathOf("ours.priv"), sealedObject.PrivateTpm2b());
            Assert.Equal(secret, await tpm.UnsealWithPcrPolicyAsync(SrkHandle, sealedObject, Pcrs));
        }
        swtpm.ToolOk("tpm2_load", "-Q", "-C", $"0x{SrkHandle:x}", "-u", "ours.pub", "-r", "ours.priv", "-c", "ours.ctx");
        swtpm.ToolOk("tpm2_unseal", "-c", "ours.ctx", "-p", "pcr:sha256:16,23", "-o", "ours.out");
        Assert.Equal(secret, File.ReadAllBytes(swtpm.PathOf("ours.out")));
    }

    [Fact]
    public async Task Sealed_by_tpm2_tools_unseals_with_ours()
    {
        var secret = RandomNumberGenerator.GetBytes(24);
        File.WriteAllBytes(swtpm.PathOf("tools.secret"), secret);
        using (var tpm = await swtpm.ConnectAsync())
            await EnsureSrkAsync(tpm);
        swtpm.ToolOk("tpm2_createpolicy", "--policy-pcr", "-l", "sha256:16,23", "-L", "tools.policy");
        swtpm.ToolOk("tpm2_create", "-Q", "-C", $"0x{SrkHandle:x}", "-L", "tools.policy", "-i", "tools.secret",
            "-u", "tools.pub", "-r", "tools.priv");

        var sealedObject = new CreatedObject(CreatedObject.ParsePrivateTpm2b(File.ReadAllBytes(swtpm.PathOf("tools.priv"))),
            Tpm2bPublic.Parse(File.ReadAllBytes(swtpm.PathOf("tools.pub"))));
        using var tpm2 = await swtpm.ConnectAsync();
        Assert.Equal(secret, await tpm2.UnsealWithPcrPolicyAsync(SrkHandle, sealedObject, Pcrs));
        Assert.Empty(await tpm2.GetHandlesAsync(TpmRh.TransientFirst));
    }

    [Fact]
    public async Task Extend_breaks_the_seal_and_reboot_plus_clean_measurements_restore_it()
    {
        var clean = SHA256.HashData("clean boot server image"u8);
        var secret = RandomNumberGenerator.GetBytes(32);
        var quotePcrs = Pcrs;
        CreatedObject sealedObject;
        uint resetBefore;
        // The AK is a primary in the endorsement hierarchy: the TPM obfuscates resetCount/restartCount/firmwareVersion
        // in quotes by keys of the owner hierarchy (Part 3, §18.1; seen here: resetCount ≈ 2^31), not for these.
        var akTemplate = TpmTemplates.EccAttestationKey();

        // Boot 1: measure the clean image, seal to it, quote.
        await swtpm.RebootAsync();
        using (var tpm = await swtpm.ConnectAsync())
        {
            await EnsureSrkAsync(tpm);
            await tpm.PcrExtendAsync(16, TpmAlgId.Sha256, clean);
            sealedObject = await tpm.SealAsync(SrkHandle, secret, Pcrs);
            var nonce = RandomNumberGenerator.GetBytes(32);
            await using var ak = await tpm.CreatePrimaryAsync(TpmRh.Endorsement, akTemplate);
            var evidence = await tpm.UnsealAndQuoteAsync(SrkHandle, sealedObject, Pcrs, ak.Handle, nonce, quotePcrs);
            Assert.Equal(secret, evidence.Secret);
            var verdict = VerifyEvidence(ak.Public!, evidence, nonce, quotePcrs);
            Assert.True(verdict.IsValid, verdict.ToString());
            resetBefore = verdict.ClockInfo!.Value.ResetCount;

            // An untrusted guest boots: PCR 16 moves on and the secret is out of reach.
            await tpm.PcrExtendAsync(16, TpmAlgId.Sha256, SHA256.HashData("untrusted guest"u8));
            var e = await Assert.ThrowsAsync<TpmException>(() => tpm.UnsealWithPcrPolicyAsync(SrkHandle, sealedObject, Pcrs));
            Assert.Equal("TPM_RC_POLICY_FAIL", e.ResponseCode.Name);
            Assert.Equal(1, e.ResponseCode.SessionIndex);
            Assert.Equal(TpmCc.Unseal, e.Command);
            Assert.Equal([ak.Handle], await tpm.GetHandlesAsync(TpmRh.TransientFirst)); // the sealed object was flushed
        }

        // Reboot (Shutdown, power cycle through the control channel, Startup CLEAR), measure the clean image again.
        await swtpm.RebootAsync();
        using (var tpm = await swtpm.ConnectAsync())
        {
            await tpm.PcrExtendAsync(16, TpmAlgId.Sha256, clean);
            var nonce = RandomNumberGenerator.GetBytes(32);
            await using var ak = await tpm.CreatePrimaryAsync(TpmRh.Endorsement, akTemplate); // same template, same key
            var evidence = await tpm.UnsealAndQuoteAsync(SrkHandle, sealedObject, Pcrs, ak.Handle, nonce, quotePcrs);
            Assert.Equal(secret, evidence.Secret);
            var verdict = VerifyEvidence(ak.Public!, evidence, nonce, quotePcrs);
            Assert.True(verdict.IsValid, verdict.ToString());
            Assert.Equal(resetBefore + 1, verdict.ClockInfo!.Value.ResetCount);
            Assert.Equal(0u, verdict.ClockInfo.Value.RestartCount);
        }
    }

    [Fact]
    public async Task Unorderly_power_cycles_do_not_lock_out_noDA_objects()
    {
        var secret = RandomNumberGenerator.GetBytes(16);
        CreatedObject sealedObject;
        await swtpm.RebootAsync(); // start from reset PCRs, which is what the power cycles below return to
        using (var tpm = await swtpm.ConnectAsync())
        {
            await EnsureSrkAsync(tpm);
            sealedObject = await tpm.SealAsync(SrkHandle, secret, Pcrs);
        }
        // Power cycles without Shutdown count as dictionary-attack failures (docs/tool-notes.md); noDA objects ignore them.
        for (int i = 0; i < 4; i++)
        {
            await Transport.SwtpmControl.InitAsync("127.0.0.1", swtpm.ControlPort);
            using var tpm = await swtpm.ConnectAsync();
            var e = await Assert.ThrowsAsync<TpmException>(() => tpm.GetRandomAsync(8));
            Assert.Equal("TPM_RC_INITIALIZE", e.ResponseCode.Name);
            await tpm.StartupAsync(TpmSu.Clear);
        }
        using var after = await swtpm.ConnectAsync();
        Assert.Equal(secret, await after.UnsealWithPcrPolicyAsync(SrkHandle, sealedObject, Pcrs));
        await after.DictionaryAttackLockResetAsync(); // leave no failure count for other tests' DA-protected objects
    }

    private static QuoteVerdict VerifyEvidence(TpmtPublic ak, AttestationEvidence evidence, byte[] nonce, TpmlPcrSelection pcrs)
    {
        using var verifier = new QuoteVerifier(AttestationKey.FromPublic(ak));
        return verifier.Verify(evidence.Quote.Attest, evidence.Quote.Signature.ToBytes(), nonce, pcrs, evidence.PcrValues);
    }
}
