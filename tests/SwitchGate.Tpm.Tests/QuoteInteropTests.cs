using System.Security.Cryptography;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Tpm.Tests;

/// <summary>
/// Quotes made by our client checked by tpm2_checkquote and by our verifier, quotes made by tpm2_quote checked by
/// ours, and one attack per verifier check. The last three attacks are accepted by tpm2_checkquote 5.4 and
/// rejected by ours: that is the "stricter than tpm2-tools" property.
/// </summary>
[Trait("Requires", "swtpm")]
[Trait("Requires", "tpm2-tools")]
public sealed class QuoteInteropTests(SwtpmInstance swtpm) : IClassFixture<SwtpmInstance>
{
    private static readonly TpmlPcrSelection Selection = TpmlPcrSelection.Parse("sha256:16,23");

    private string LastToolOutput { get; set; } = "";

    private sealed record Evidence(TpmtPublic Ak, byte[] Attest, byte[] Signature, byte[] Nonce, byte[] PcrValues);

    /// <summary>Creates an AK from <paramref name="template"/> and quotes; everything is flushed and the connection closed after.</summary>
    private async Task<Evidence> QuoteAsync(TpmtPublic template, TpmlPcrSelection? selection = null)
    {
        selection ??= Selection;
        using var tpm = await swtpm.ConnectAsync();
        CreatedObject akBlob;
        await using (var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey()))
        {
            akBlob = await tpm.CreateAsync(srk.Handle, template);
            await using var ak = await tpm.LoadAsync(srk.Handle, akBlob);
            var nonce = RandomNumberGenerator.GetBytes(32);
            var quote = await tpm.QuoteAsync(ak.Handle, nonce, selection);
            var (_, values) = await tpm.PcrReadAsync(selection);
            return new Evidence(akBlob.Public, quote.Attest, quote.Signature.ToBytes(), nonce, values.SelectMany(v => v).ToArray());
        }
    }

    private static QuoteVerdict Verify(Evidence e, byte[]? attest = null, byte[]? signature = null, byte[]? nonce = null,
        TpmlPcrSelection? selection = null, byte[]? values = null, TpmtPublic? ak = null)
    {
        using var verifier = new QuoteVerifier(AttestationKey.FromPublic(ak ?? e.Ak));
        return verifier.Verify(attest ?? e.Attest, signature ?? e.Signature, nonce ?? e.Nonce, selection ?? Selection, values ?? e.PcrValues);
    }

    /// <summary>Writes the evidence as files and runs tpm2_checkquote on them; true if it accepts.</summary>
    private bool Tpm2CheckQuoteAccepts(Evidence e, byte[]? attest = null, byte[]? signature = null, string? list = "sha256:16,23", string? akFile = null)
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        if (akFile is null)
        {
            akFile = swtpm.PathOf($"ak-{tag}.pub");
            File.WriteAllBytes(akFile, Tpm2bPublic.ToBytes(e.Ak));
        }
        File.WriteAllBytes(swtpm.PathOf($"q-{tag}.msg"), attest ?? e.Attest);
        File.WriteAllBytes(swtpm.PathOf($"q-{tag}.sig"), signature ?? e.Signature);
        File.WriteAllBytes(swtpm.PathOf($"q-{tag}.vals"), e.PcrValues);
        string[] pcrArgs = list is null ? [] : ["-f", $"q-{tag}.vals", "-l", list];
        var (code, output) = swtpm.Tool("tpm2_checkquote", ["-u", akFile, "-m", $"q-{tag}.msg", "-s", $"q-{tag}.sig",
            .. pcrArgs, "-g", "sha256", "-q", Convert.ToHexString(e.Nonce)]);
        LastToolOutput = output;
        return code == 0;
    }

    [Theory]
    [InlineData("ecc")]
    [InlineData("rsassa")]
    [InlineData("rsapss")]
    public async Task Our_quote_verifies_with_ours_and_with_tpm2_checkquote(string kind)
    {
        var template = kind switch
        {
            "ecc" => TpmTemplates.EccAttestationKey(),
            "rsassa" => TpmTemplates.RsaAttestationKey(),
            _ => TpmTemplates.RsaAttestationKey(TpmAlgId.RsaPss),
        };
        var e = await QuoteAsync(template);
        var verdict = Verify(e);
        Assert.True(verdict.IsValid, verdict.ToString());
        Assert.Equal(TpmGenerated.Value, verdict.Attest!.Magic);
        Assert.True(verdict.ClockInfo!.Value.Clock > 0);
        Assert.Equal(Selection, verdict.Quote!.PcrSelect);
        // Observed: tpm2_checkquote 5.4 rejects swtpm's RSAPSS quotes; ours verifies them (PSS, salt = digest size).
        Assert.True((kind != "rsapss") == Tpm2CheckQuoteAccepts(e), LastToolOutput);
    }

    [Fact]
    public async Task Our_verifier_accepts_a_PEM_AK_and_tpm2_checkquote_agrees()
    {
        var e = await QuoteAsync(TpmTemplates.EccAttestationKey());
        using var key = (ECDsa)e.Ak.ToDotNetKey();
        var pem = key.ExportSubjectPublicKeyInfoPem();
        File.WriteAllText(swtpm.PathOf("ak.pem"), pem);
        using var verifier = new QuoteVerifier(AttestationKey.FromPem(pem));
        Assert.True(verifier.Verify(e.Attest, e.Signature, e.Nonce, Selection, e.PcrValues).IsValid);
        Assert.True(Tpm2CheckQuoteAccepts(e, akFile: swtpm.PathOf("ak.pem")));
    }

    [Fact]
    public void Quote_by_tpm2_quote_verifies_with_ours()
    {
        swtpm.ToolOk("tpm2_createprimary", "-Q", "-C", "o", "-G", "ecc", "-c", "tprim.ctx");
        swtpm.ToolOk("tpm2_create", "-Q", "-C", "tprim.ctx", "-G", "ecc256:ecdsa-sha256:null",
            "-a", "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|restricted|sign|noda", "-u", "tak.pub", "-r", "tak.priv");
        swtpm.ToolOk("tpm2_load", "-Q", "-C", "tprim.ctx", "-u", "tak.pub", "-r", "tak.priv", "-c", "tak.ctx");
        var nonce = RandomNumberGenerator.GetBytes(20);
        swtpm.ToolOk("tpm2_quote", "-Q", "-c", "tak.ctx", "-l", "sha256:16,23", "-q", Convert.ToHexString(nonce),
            "-m", "tq.msg", "-s", "tq.sig", "-o", "tq.vals", "-F", "values", "-g", "sha256");

        using var verifier = new QuoteVerifier(AttestationKey.FromFileBytes(File.ReadAllBytes(swtpm.PathOf("tak.pub"))));
        var verdict = verifier.Verify(File.ReadAllBytes(swtpm.PathOf("tq.msg")), File.ReadAllBytes(swtpm.PathOf("tq.sig")), nonce,
            Selection, File.ReadAllBytes(swtpm.PathOf("tq.vals")));
        Assert.True(verdict.IsValid, verdict.ToString());
        var otherNonce = (byte[])nonce.Clone();
        otherNonce[0] ^= 1;
        Assert.Equal(QuoteCheck.Nonce, verifier.Verify(File.ReadAllBytes(swtpm.PathOf("tq.msg")), File.ReadAllBytes(swtpm.PathOf("tq.sig")),
            otherNonce, Selection, File.ReadAllBytes(swtpm.PathOf("tq.vals"))).FailedCheck);
    }

    [Fact]
    public async Task QualifiedSigner_is_the_AK_qualified_name_and_is_checked_when_enrolled()
    {
        using var tpm = await swtpm.ConnectAsync();
        await using var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey());
        var akBlob = await tpm.CreateAsync(srk.Handle, TpmTemplates.EccAttestationKey());
        await using var ak = await tpm.LoadAsync(srk.Handle, akBlob);
        var (_, name, qualifiedName) = await tpm.ReadPublicAsync(ak.Handle);
        var srkQn = srk.Public!.ComputeQualifiedName(TpmtPublic.HandleName(TpmRh.Owner));
        Assert.Equal(akBlob.Public.ComputeQualifiedName(srkQn), qualifiedName);

        var nonce = RandomNumberGenerator.GetBytes(32);
        var quote = await tpm.QuoteAsync(ak.Handle, nonce, Selection);
        var (_, values) = await tpm.PcrReadAsync(Selection);
        Assert.Equal(qualifiedName, TpmsAttest.Parse(quote.Attest).QualifiedSigner);
        Assert.NotEqual(name, qualifiedName);

        using var strict = new QuoteVerifier(AttestationKey.FromPublic(akBlob.Public), qualifiedName);
        Assert.True(strict.Verify(quote.Attest, quote.Signature.ToBytes(), nonce, Selection, values).IsValid);
        using var wrongSigner = new QuoteVerifier(AttestationKey.FromPublic(akBlob.Public), name);
        Assert.Equal(QuoteCheck.Signer, wrongSigner.Verify(quote.Attest, quote.Signature.ToBytes(), nonce, Selection, values).FailedCheck);
    }

    [Fact]
    public async Task Each_check_rejects_its_attack()
    {
        var e = await QuoteAsync(TpmTemplates.EccAttestationKey());
        Assert.True(Verify(e).IsValid);

        var wrongNonce = (byte[])e.Nonce.Clone();
        wrongNonce[5] ^= 0x01;
        Assert.Equal(QuoteCheck.Nonce, Verify(e, nonce: wrongNonce).FailedCheck);
        Assert.Equal(QuoteCheck.Nonce, Verify(e, nonce: e.Nonce[..16]).FailedCheck);

        var flippedPcr = (byte[])e.PcrValues.Clone();
        flippedPcr[40] ^= 0x80;
        Assert.Equal(QuoteCheck.PcrDigest, Verify(e, values: flippedPcr).FailedCheck);
        Assert.Equal(QuoteCheck.PcrValues, Verify(e, values: e.PcrValues[..32]).FailedCheck);

        var flippedSig = (byte[])e.Signature.Clone();
        flippedSig[10] ^= 0x01; // inside signatureR
        Assert.Equal(QuoteCheck.Signature, Verify(e, signature: flippedSig).FailedCheck);

        var other = await QuoteAsync(TpmTemplates.EccAttestationKey());
        Assert.Equal(QuoteCheck.Signature, Verify(e, ak: other.Ak).FailedCheck);

        var tampered = (byte[])e.Attest.Clone();
        tampered[^40] ^= 0x01; // inside clockInfo
        Assert.Equal(QuoteCheck.Signature, Verify(e, attest: tampered).FailedCheck);

        Assert.Equal(QuoteCheck.Signature, Verify(e, attest: e.Attest[..^1]).FailedCheck);
        Assert.Equal(QuoteCheck.SignatureFormat, Verify(e, signature: e.Signature[..^1]).FailedCheck);
        Assert.Equal(QuoteCheck.SignatureFormat, Verify(e, signature: [.. e.Signature, 0]).FailedCheck);

        // An ECDSA signature presented as RSASSA does not fit the AK.
        var asRsa = new TpmtSignature { SigAlg = TpmAlgId.RsaSsa, Hash = TpmAlgId.Sha256, Rsa = new byte[256] }.ToBytes();
        Assert.Equal(QuoteCheck.SignatureScheme, Verify(e, signature: asRsa).FailedCheck);
    }

    /// <summary>
    /// TPM2_Hash with a hierarchy returns a ticket that lets the restricted AK sign any digest whose data does not
    /// start with TPM_GENERATED_VALUE (Part 3, §15.4, §20.2). So an attacker with the AK can get a valid signature
    /// over a TPMS_ATTEST with a different magic — here a copy of a real quote with the magic changed.
    /// </summary>
    [Fact]
    public async Task Forged_wrong_magic_message_signed_through_a_hash_ticket_is_rejected_by_ours_accepted_by_tpm2_checkquote()
    {
        using var tpm = await swtpm.ConnectAsync();
        var template = TpmTemplates.EccAttestationKey();
        Evidence e;
        byte[] forged, forgedSig, forgedGarbage, garbageSig;
        await using (var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey()))
        {
            var akBlob = await tpm.CreateAsync(srk.Handle, template);
            await using var ak = await tpm.LoadAsync(srk.Handle, akBlob);
            var nonce = RandomNumberGenerator.GetBytes(32);
            var quote = await tpm.QuoteAsync(ak.Handle, nonce, Selection);
            var (_, values) = await tpm.PcrReadAsync(Selection);
            e = new Evidence(akBlob.Public, quote.Attest, quote.Signature.ToBytes(), nonce, values.SelectMany(v => v).ToArray());

            forged = (TpmsAttest.Parse(quote.Attest) with { Magic = 0xFF544348 }).ToBytes();
            var (digest, ticket) = await tpm.HashAsync(forged, TpmAlgId.Sha256, TpmRh.Owner);
            Assert.Equal(TpmSt.HashCheck, ticket.Tag);
            forgedSig = (await tpm.SignAsync(ak.Handle, digest, ticket)).ToBytes();

            // The TPM refuses a ticket for data that starts with the real magic: that is what protects quotes.
            var (realDigest, realTicket) = await tpm.HashAsync(quote.Attest, TpmAlgId.Sha256, TpmRh.Owner);
            Assert.Empty(realTicket.Digest);
            var refused = await Assert.ThrowsAsync<TpmException>(() => tpm.SignAsync(ak.Handle, realDigest, realTicket));
            Assert.Equal("TPM_RC_TICKET", refused.ResponseCode.Name);

            // Signed garbage exercises the structure check after the signature check.
            forgedGarbage = [0x00, 0x01, 0x02];
            var (gDigest, gTicket) = await tpm.HashAsync(forgedGarbage, TpmAlgId.Sha256, TpmRh.Owner);
            garbageSig = (await tpm.SignAsync(ak.Handle, gDigest, gTicket)).ToBytes();
        }
        tpm.Dispose();

        Assert.Equal(QuoteCheck.Magic, Verify(e, attest: forged, signature: forgedSig).FailedCheck);
        Assert.Equal(QuoteCheck.AttestFormat, Verify(e, attest: forgedGarbage, signature: garbageSig).FailedCheck);
        Assert.True(Tpm2CheckQuoteAccepts(e, attest: forged, signature: forgedSig), "tpm2_checkquote 5.4 accepts a wrong magic");
    }

    [Fact]
    public async Task Certify_attestation_offered_as_a_quote_is_rejected_by_ours_accepted_by_tpm2_checkquote()
    {
        using var tpm = await swtpm.ConnectAsync();
        Evidence e;
        byte[] certify, certifySig;
        await using (var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey()))
        {
            var akBlob = await tpm.CreateAsync(srk.Handle, TpmTemplates.EccAttestationKey());
            await using var ak = await tpm.LoadAsync(srk.Handle, akBlob);
            var nonce = RandomNumberGenerator.GetBytes(32);
            var quote = await tpm.QuoteAsync(ak.Handle, nonce, Selection);
            var (_, values) = await tpm.PcrReadAsync(Selection);
            e = new Evidence(akBlob.Public, quote.Attest, quote.Signature.ToBytes(), nonce, values.SelectMany(v => v).ToArray());
            var cert = await tpm.CertifyAsync(ak.Handle, ak.Handle, nonce);
            certify = cert.Attest;
            certifySig = cert.Signature.ToBytes();
        }
        tpm.Dispose();

        Assert.Equal(TpmSt.AttestCertify, TpmsAttest.Parse(certify).Type);
        Assert.Equal(QuoteCheck.Type, Verify(e, attest: certify, signature: certifySig).FailedCheck);
        // With a PCR file tpm2_checkquote happens to fail on the digest comparison (it reads the certify body as if it
        // were a quote); without one it checks only signature and nonce and accepts the Certify attestation.
        Assert.True(Tpm2CheckQuoteAccepts(e, attest: certify, signature: certifySig, list: null),
            "tpm2_checkquote 5.4 accepts a Certify attestation: " + LastToolOutput);
    }

    [Fact]
    public async Task Mismatched_selection_is_rejected_by_ours_accepted_by_tpm2_checkquote()
    {
        // The quote covers PCR 23 only; the verifier expects PCR 16. Both read zero after reset, so the digest of the
        // claimed values matches and only a selection comparison can notice.
        var quoted = TpmlPcrSelection.Parse("sha256:23");
        var e = await QuoteAsync(TpmTemplates.EccAttestationKey(), quoted);
        var expected = TpmlPcrSelection.Parse("sha256:16");
        using (var tpm = await swtpm.ConnectAsync())
            Assert.Equal((await tpm.PcrReadAsync(expected)).Values[0], (await tpm.PcrReadAsync(quoted)).Values[0]);

        Assert.True(Verify(e, selection: quoted).IsValid);
        Assert.Equal(QuoteCheck.Selection, Verify(e, selection: expected).FailedCheck);
        Assert.True(Tpm2CheckQuoteAccepts(e, list: "sha256:16"), "tpm2_checkquote 5.4 ignores the quote's selection");
    }
}
