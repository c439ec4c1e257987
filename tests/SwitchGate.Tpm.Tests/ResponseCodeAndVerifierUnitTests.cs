using System.Security.Cryptography;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Tpm.Tests;

/// <summary>Pure logic: response-code decoding, selection parsing, KDFs, and verifier decisions with a software AK.</summary>
public sealed class ResponseCodeAndVerifierUnitTests
{
    [Theory]
    [InlineData(0x99Du, "TPM_RC_POLICY_FAIL", null, null, 1)]
    [InlineData(0x1C4u, "TPM_RC_VALUE", 1, null, null)]
    [InlineData(0x18Bu, "TPM_RC_HANDLE", null, 1, null)]
    [InlineData(0x2D6u, "TPM_RC_SYMMETRIC", 2, null, null)]
    [InlineData(0x902u, "TPM_RC_OBJECT_MEMORY", null, null, null)]
    [InlineData(0x100u, "TPM_RC_INITIALIZE", null, null, null)]
    [InlineData(0x921u, "TPM_RC_LOCKOUT", null, null, null)]
    public void Decodes_format_0_and_format_1(uint value, string name, int? parameter, int? handle, int? session)
    {
        var rc = new TpmResponseCode(value);
        Assert.Equal(name, rc.Name);
        Assert.Equal(parameter, rc.ParameterIndex);
        Assert.Equal(handle, rc.HandleIndex);
        Assert.Equal(session, rc.SessionIndex);
    }

    /// <summary>
    /// Fuzzing finding (scripts/fuzz tpm-public): an AK whose nameAlg cannot be hashed loaded, and only computing its
    /// Name (for the qualifiedSigner check) failed later; now it is refused when the key is loaded.
    /// </summary>
    [Fact]
    public void An_ak_whose_name_cannot_be_computed_is_refused_at_load()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = ecdsa.ExportParameters(false).Q;
        var area = TpmTemplates.EccAttestationKey() with { UniqueX = q.X!, UniqueY = q.Y!, NameAlg = TpmAlgId.Xor };
        var e = Assert.Throws<TpmFormatException>(() => AttestationKey.FromTpm2bPublic(Tpm2bPublic.ToBytes(area)));
        Assert.Contains("not supported", e.Message);
    }

    [Fact]
    public void Retryable_codes_are_exactly_retry_yielded_testing()
    {
        Assert.True(new TpmResponseCode(0x922).IsRetryable);
        Assert.True(new TpmResponseCode(0x908).IsRetryable);
        Assert.True(new TpmResponseCode(0x90A).IsRetryable);
        Assert.False(new TpmResponseCode(0x902).IsRetryable);
        Assert.Contains("TPM2_Quote", new TpmException(TpmCc.Quote, 0x99D).Message);
        Assert.Contains("session 1", new TpmException(TpmCc.Quote, 0x99D).Message);
    }

    [Theory]
    [InlineData("sha256")]
    [InlineData("sha256:")]
    [InlineData("md5:1")]
    [InlineData("sha256:24")]
    [InlineData("sha256:-1")]
    [InlineData("")]
    public void Bad_selection_text_raises_TpmFormatException(string text) =>
        Assert.Throws<TpmFormatException>(() => TpmlPcrSelection.Parse(text));

    [Fact]
    public void Selection_equality_ignores_bitmap_length_but_not_bank_order()
    {
        var a = new TpmlPcrSelection([new TpmsPcrSelection(TpmAlgId.Sha256, [16, 23], 3)]);
        var b = new TpmlPcrSelection([new TpmsPcrSelection(TpmAlgId.Sha256, [16, 23], 4)]);
        Assert.Equal(a, b);
        Assert.NotEqual(TpmlPcrSelection.Parse("sha1:0+sha256:0"), TpmlPcrSelection.Parse("sha256:0+sha1:0"));
    }

    [Fact]
    public void KdfA_matches_a_hand_computed_first_block()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        byte[] input = [0, 0, 0, 1, .. "STORAGE"u8, 0, 0xAA, 0, 0, 0, 128];
        Assert.Equal(HMACSHA256.HashData(key, input)[..16], Kdf.KdfA(TpmAlgId.Sha256, key, "STORAGE", [0xAA], [], 128));
        Assert.Equal(48, Kdf.KdfA(TpmAlgId.Sha256, key, "X", [], [], 384).Length);
    }

    [Fact]
    public void Verifier_accepts_a_good_quote_and_exposes_clock_info()
    {
        using var ak = new SoftwareAk();
        var sel = TpmlPcrSelection.Parse("sha256:16,23");
        var nonce = RandomNumberGenerator.GetBytes(32);
        byte[][] values = [SHA256.HashData("a"u8), SHA256.HashData("b"u8)];
        var attest = SoftwareAk.MakeQuote(nonce, sel, values);
        using var verifier = new QuoteVerifier(AttestationKey.FromPublic(ak.Public));
        var verdict = verifier.Verify(attest, ak.Sign(attest), nonce, sel, values);
        Assert.True(verdict.IsValid, verdict.ToString());
        Assert.Equal(new TpmsClockInfo(123456, 3, 0, true), verdict.ClockInfo);
        Assert.Equal(0x2019_0827_0001ul, verdict.FirmwareVersion);
    }

    [Fact]
    public void Verifier_rejects_a_validly_signed_wrong_magic_and_wrong_type()
    {
        using var ak = new SoftwareAk();
        var sel = TpmlPcrSelection.Parse("sha256:16");
        var nonce = new byte[32];
        byte[][] values = [new byte[32]];
        using var verifier = new QuoteVerifier(AttestationKey.FromPublic(ak.Public));
        var wrongMagic = SoftwareAk.MakeQuote(nonce, sel, values, magic: 0);
        Assert.Equal(QuoteCheck.Magic, verifier.Verify(wrongMagic, ak.Sign(wrongMagic), nonce, sel, values).FailedCheck);
        var certify = (TpmsAttest.Parse(SoftwareAk.MakeQuote(nonce, sel, values)) with
        {
            Type = TpmSt.AttestCertify, Attested = new TpmsCertifyInfo([0, 0x0B, .. new byte[32]], [0, 0x0B, .. new byte[32]]),
        }).ToBytes();
        Assert.Equal(QuoteCheck.Type, verifier.Verify(certify, ak.Sign(certify), nonce, sel, values).FailedCheck);
    }

    [Fact]
    public void An_AK_that_is_not_a_restricted_signing_key_is_refused()
    {
        using var ak = new SoftwareAk();
        var unrestricted = ak.Public with { ObjectAttributes = ak.Public.ObjectAttributes & ~TpmaObject.Restricted };
        Assert.Throws<TpmFormatException>(() => AttestationKey.FromPublic(unrestricted));
        Assert.Throws<TpmFormatException>(() => AttestationKey.FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
    }
}
