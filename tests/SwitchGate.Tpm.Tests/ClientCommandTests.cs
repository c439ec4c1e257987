using System.Security.Cryptography;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Policy;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Tests;

/// <summary>The basic commands against a real swtpm.</summary>
[Trait("Requires", "swtpm")]
public sealed class ClientCommandTests(SwtpmInstance swtpm) : IClassFixture<SwtpmInstance>
{
    [Fact]
    public async Task GetRandom_returns_requested_length_and_differs()
    {
        using var tpm = await swtpm.ConnectAsync();
        var a = await tpm.GetRandomAsync(48);
        var b = await tpm.GetRandomAsync(48);
        Assert.Equal(48, a.Length);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task GetCapability_reports_family_2_0()
    {
        using var tpm = await swtpm.ConnectAsync();
        var props = await tpm.GetTpmPropertiesAsync(0x100, 8); // TPM_PT_FAMILY_INDICATOR onwards
        Assert.Equal(0x322E3000u, props[0x100]); // "2.0\0"
    }

    [Fact]
    public async Task PcrExtend_matches_software_extend_and_PcrRead_reads_many()
    {
        using var tpm = await swtpm.ConnectAsync();
        var sel = new TpmlPcrSelection(TpmAlgId.Sha256, 16);
        var (_, before) = await tpm.PcrReadAsync(sel);
        var measurement = SHA256.HashData("measurement"u8);
        await tpm.PcrExtendAsync(16, TpmAlgId.Sha256, measurement);
        var (_, after) = await tpm.PcrReadAsync(sel);
        Assert.Equal(SHA256.HashData([.. before[0], .. measurement]), after[0]);

        var many = new TpmlPcrSelection([new TpmsPcrSelection(TpmAlgId.Sha256, Enumerable.Range(0, 24)), new TpmsPcrSelection(TpmAlgId.Sha1, [0, 1])]);
        var (_, values) = await tpm.PcrReadAsync(many);
        Assert.Equal(26, values.Length);
        Assert.Equal(20, values[^1].Length);
    }

    [Theory]
    [InlineData(TpmAlgId.Ecc)]
    [InlineData(TpmAlgId.Rsa)]
    public async Task CreatePrimary_storage_key_name_matches_computed_name_and_is_flushed(TpmAlgId type)
    {
        using var tpm = await swtpm.ConnectAsync();
        var template = type == TpmAlgId.Ecc ? TpmTemplates.EccStorageKey() : TpmTemplates.RsaStorageKey();
        byte[] name;
        uint handle;
        await using (var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, template))
        {
            handle = srk.Handle;
            name = srk.Name;
            Assert.Equal(srk.Public!.ComputeName(), name);
            var (pub, readName, qn) = await tpm.ReadPublicAsync(srk.Handle);
            Assert.Equal(name, readName);
            Assert.Equal(pub.ComputeQualifiedName(TpmtPublic.HandleName(TpmRh.Owner)), qn);
        }
        Assert.DoesNotContain(handle, await tpm.GetHandlesAsync(TpmRh.TransientFirst));
        // Same template, same key (Part 1, §27.3: primary keys derive from the hierarchy seed).
        await using var again = await tpm.CreatePrimaryAsync(TpmRh.Owner, template);
        Assert.Equal(name, again.Name);
    }

    [Fact]
    public async Task Repeated_loads_do_not_exhaust_the_three_object_slots()
    {
        using var tpm = await swtpm.ConnectAsync();
        for (int i = 0; i < 6; i++)
        {
            await using var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey());
            var ak = await tpm.CreateAsync(srk.Handle, TpmTemplates.EccAttestationKey());
            await using var loaded = await tpm.LoadAsync(srk.Handle, ak);
            Assert.Equal(ak.Public.ComputeName(), loaded.Name);
        }
        Assert.Empty(await tpm.GetHandlesAsync(TpmRh.TransientFirst));
    }

    [Fact]
    public async Task Error_names_code_command_and_handle_index()
    {
        using var tpm = await swtpm.ConnectAsync();
        var e = await Assert.ThrowsAsync<TpmException>(() => tpm.ReadPublicAsync(0x80FF_FFF0));
        Assert.Equal(TpmCc.ReadPublic, e.Command);
        Assert.Equal(1, e.ResponseCode.HandleIndex);
        // libtpms answers TPM_RC_VALUE + handle 1 (0x184) for a transient handle that is not loaded.
        Assert.Equal(0x184u, e.ResponseCode.Value);
        Assert.Equal("TPM_RC_VALUE", e.ResponseCode.Name);
        Assert.Contains("TPM2_ReadPublic", e.Message);
    }

    [Fact]
    public async Task EvictControl_makes_a_persistent_key_and_evicts_it()
    {
        using var tpm = await swtpm.ConnectAsync();
        const uint persistent = 0x8101_0F01;
        byte[] name;
        await using (var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey()))
        {
            await tpm.EvictControlAsync(srk.Handle, persistent);
            name = srk.Name;
        }
        Assert.Contains(persistent, await tpm.GetHandlesAsync(TpmRh.PersistentFirst));
        Assert.Equal(name, (await tpm.ReadPublicAsync(persistent)).Name);
        await tpm.EvictControlAsync(persistent, persistent);
        Assert.DoesNotContain(persistent, await tpm.GetHandlesAsync(TpmRh.PersistentFirst));
    }

    [Fact]
    public async Task EK_policy_constant_is_PolicySecret_endorsement()
    {
        var computed = PolicyDigest.PolicySecret(PolicyDigest.Initial(), TpmtPublic.HandleName(TpmRh.Endorsement));
        Assert.Equal(TpmTemplates.EkPolicySha256, computed);
        using var tpm = await swtpm.ConnectAsync();
        var session = await tpm.StartAuthSessionAsync();
        try
        {
            await tpm.PolicySecretAsync(TpmRh.Endorsement, session);
            Assert.Equal(computed, await tpm.PolicyGetDigestAsync(session));
        }
        finally
        {
            await tpm.FlushContextAsync(session.Handle);
        }
    }

    [Theory]
    [InlineData(TpmAlgId.Ecc)]
    [InlineData(TpmAlgId.Rsa)]
    public async Task MakeCredential_in_software_is_recovered_by_ActivateCredential(TpmAlgId ekType)
    {
        using var tpm = await swtpm.ConnectAsync();
        await using var ek = await tpm.CreatePrimaryAsync(TpmRh.Endorsement,
            ekType == TpmAlgId.Ecc ? TpmTemplates.EccEndorsementKey() : TpmTemplates.RsaEndorsementKey());
        await using var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey());
        var akBlob = await tpm.CreateAsync(srk.Handle, TpmTemplates.EccAttestationKey());
        await using var ak = await tpm.LoadAsync(srk.Handle, akBlob);

        var credential = RandomNumberGenerator.GetBytes(32);
        var challenge = MakeCredential.Create(ek.Public!, ak.Name, credential);

        var session = await tpm.StartAuthSessionAsync();
        try
        {
            await tpm.PolicySecretAsync(TpmRh.Endorsement, session);
            var recovered = await tpm.ActivateCredentialAsync(ak.Handle, ek.Handle, session, challenge.CredentialBlob, challenge.Secret);
            Assert.Equal(credential, recovered);
        }
        finally
        {
            await tpm.FlushContextAsync(session.Handle);
        }

        // Bound to the AK's Name: a challenge made for another name fails the integrity check.
        var wrongName = (byte[])ak.Name.Clone();
        wrongName[^1] ^= 1;
        var wrong = MakeCredential.Create(ek.Public!, wrongName, credential);
        var s2 = await tpm.StartAuthSessionAsync();
        try
        {
            await tpm.PolicySecretAsync(TpmRh.Endorsement, s2);
            var e = await Assert.ThrowsAsync<TpmException>(() => tpm.ActivateCredentialAsync(ak.Handle, ek.Handle, s2, wrong.CredentialBlob, wrong.Secret));
            Assert.Equal("TPM_RC_INTEGRITY", e.ResponseCode.Name);
        }
        finally
        {
            await tpm.FlushContextAsync(s2.Handle);
        }
    }
}
