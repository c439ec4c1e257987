using System.Security.Cryptography;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Verification;

/// <summary>The verifier's checks, in the order they run. The first that fails is reported.</summary>
public enum QuoteCheck
{
    /// <summary>The signature bytes are not a well-formed TPMT_SIGNATURE.</summary>
    SignatureFormat,
    /// <summary>The signature scheme or hash does not fit the AK (type, or the AK's fixed scheme).</summary>
    SignatureScheme,
    /// <summary>The signature does not verify over the attestation bytes with the AK.</summary>
    Signature,
    /// <summary>The signed bytes are not a well-formed TPMS_ATTEST.</summary>
    AttestFormat,
    /// <summary>magic is not TPM_GENERATED_VALUE: the TPM did not produce this structure.</summary>
    Magic,
    /// <summary>type is not TPM_ST_ATTEST_QUOTE (e.g. a Certify attestation).</summary>
    Type,
    /// <summary>qualifiedSigner is not the AK's qualified name (checked only when the verifier was given one).</summary>
    Signer,
    /// <summary>extraData is not the expected nonce.</summary>
    Nonce,
    /// <summary>The quote's PCR selection differs from the expected selection.</summary>
    Selection,
    /// <summary>The supplied PCR values do not fit the selection (count or digest sizes).</summary>
    PcrValues,
    /// <summary>The PCR digest recomputed from the supplied values differs from the quote's pcrDigest.</summary>
    PcrDigest,
}

/// <summary>
/// The outcome: valid, or the first failed check with a one-line reason. <see cref="Attest"/> is set once the
/// signed bytes parsed, so policy can use clockInfo (clock, resetCount, restartCount, safe) and firmwareVersion.
/// </summary>
public sealed record QuoteVerdict(QuoteCheck? FailedCheck, string Reason, TpmsAttest? Attest)
{
    public bool IsValid => FailedCheck is null;
    public TpmsClockInfo? ClockInfo => Attest?.ClockInfo;
    public ulong? FirmwareVersion => Attest?.FirmwareVersion;
    public TpmsQuoteInfo? Quote => Attest?.Attested as TpmsQuoteInfo;

    public override string ToString() => IsValid ? "valid" : $"{FailedCheck}: {Reason}";
}

/// <summary>
/// Verifies a TPM2_Quote (TPMS_ATTEST + TPMT_SIGNATURE) against an enrolled AK, stricter than tpm2_checkquote:
/// the signature is checked first and only signed bytes are parsed; then magic, type, nonce (constant time),
/// exact PCR selection, and the PCR digest. Holds the imported key, so create one per AK and reuse it; an
/// instance is not meant for concurrent use.
/// </summary>
public sealed class QuoteVerifier : IDisposable
{
    private readonly AttestationKey _ak;
    private readonly byte[]? _qualifiedSigner;

    /// <param name="expectedQualifiedSigner">
    /// The AK's qualified name as recorded at enrolment (TPM2_ReadPublic's qualifiedName). TPMS_ATTEST carries the
    /// qualified name, not the Name (Part 2, §10.12.12); null skips the check.
    /// </param>
    public QuoteVerifier(AttestationKey ak, byte[]? expectedQualifiedSigner = null)
    {
        _ak = ak;
        _qualifiedSigner = expectedQualifiedSigner;
    }

    public AttestationKey Key => _ak;

    /// <param name="pcrValues">PCR values in selection order (banks in order, indices ascending).</param>
    public QuoteVerdict Verify(ReadOnlySpan<byte> attest, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> expectedNonce,
        TpmlPcrSelection expectedSelection, IReadOnlyList<byte[]> pcrValues)
    {
        TpmtSignature sig;
        try
        {
            sig = TpmtSignature.Parse(signature);
        }
        catch (TpmFormatException e)
        {
            return Fail(QuoteCheck.SignatureFormat, e.Message);
        }

        if (CheckScheme(sig) is { } schemeProblem) return Fail(QuoteCheck.SignatureScheme, schemeProblem);
        if (!VerifySignature(sig, attest)) return Fail(QuoteCheck.Signature, "signature does not verify with the AK");

        TpmsAttest parsed;
        try
        {
            parsed = TpmsAttest.Parse(attest);
        }
        catch (TpmFormatException e)
        {
            return Fail(QuoteCheck.AttestFormat, e.Message);
        }

        if (parsed.Magic != TpmGenerated.Value)
            return Fail(QuoteCheck.Magic, $"magic is 0x{parsed.Magic:X8}, not TPM_GENERATED_VALUE", parsed);
        if (parsed.Type != TpmSt.AttestQuote || parsed.Attested is not TpmsQuoteInfo quote)
            return Fail(QuoteCheck.Type, $"attestation type is 0x{(ushort)parsed.Type:X4}, not TPM_ST_ATTEST_QUOTE", parsed);
        if (_qualifiedSigner is not null && !parsed.QualifiedSigner.AsSpan().SequenceEqual(_qualifiedSigner))
            return Fail(QuoteCheck.Signer, "qualifiedSigner is not the enrolled AK's qualified name", parsed);
        if (!CryptographicOperations.FixedTimeEquals(parsed.ExtraData, expectedNonce))
            return Fail(QuoteCheck.Nonce, "extraData is not the expected nonce", parsed);
        if (!quote.PcrSelect.Equals(expectedSelection))
            return Fail(QuoteCheck.Selection, $"quote selects {quote.PcrSelect}, expected {expectedSelection}", parsed);

        var order = expectedSelection.InOrder().ToList();
        if (pcrValues.Count != order.Count)
            return Fail(QuoteCheck.PcrValues, $"{pcrValues.Count} PCR values for {order.Count} selected PCRs", parsed);
        for (int i = 0; i < order.Count; i++)
            if (pcrValues[i].Length != TpmHash.DigestSize(order[i].Hash))
                return Fail(QuoteCheck.PcrValues, $"value for {order[i].Hash} PCR {order[i].Pcr} is {pcrValues[i].Length} bytes", parsed);

        // Part 3, §18.4.1: pcrDigest is computed with the hash of the signing scheme.
        var concatenated = new byte[pcrValues.Sum(v => v.Length)];
        var offset = 0;
        foreach (var v in pcrValues) { v.CopyTo(concatenated, offset); offset += v.Length; }
        var digest = TpmHash.Compute(sig.Hash, concatenated);
        if (!CryptographicOperations.FixedTimeEquals(digest, quote.PcrDigest))
            return Fail(QuoteCheck.PcrDigest, "PCR digest of the supplied values differs from the quote's pcrDigest", parsed);

        return new QuoteVerdict(null, "valid", parsed);
    }

    /// <summary>Same, with the PCR values concatenated in selection order (tpm2-tools' "values" format).</summary>
    public QuoteVerdict Verify(ReadOnlySpan<byte> attest, ReadOnlySpan<byte> signature, ReadOnlySpan<byte> expectedNonce,
        TpmlPcrSelection expectedSelection, ReadOnlySpan<byte> concatenatedPcrValues)
    {
        var values = new List<byte[]>();
        var offset = 0;
        foreach (var (hash, _) in expectedSelection.InOrder())
        {
            var size = TpmHash.DigestSize(hash);
            if (offset + size > concatenatedPcrValues.Length) break;
            values.Add(concatenatedPcrValues.Slice(offset, size).ToArray());
            offset += size;
        }
        if (values.Count != expectedSelection.Count || offset != concatenatedPcrValues.Length)
        {
            // Still run the signature and structure checks first: a bad quote is reported as such.
            var verdict = Verify(attest, signature, expectedNonce, expectedSelection, (IReadOnlyList<byte[]>)values);
            return verdict.FailedCheck is QuoteCheck.PcrValues or QuoteCheck.PcrDigest or null
                ? Fail(QuoteCheck.PcrValues, $"{concatenatedPcrValues.Length} bytes of PCR values do not fit the selection {expectedSelection}", verdict.Attest)
                : verdict;
        }
        return Verify(attest, signature, expectedNonce, expectedSelection, values);
    }

    private string? CheckScheme(TpmtSignature sig)
    {
        if (!TpmHash.IsSupported(sig.Hash)) return $"signature hash 0x{(ushort)sig.Hash:X4} is not supported";
        var fits = _ak.IsEcc ? sig.SigAlg == TpmAlgId.EcDsa : sig.SigAlg is TpmAlgId.RsaSsa or TpmAlgId.RsaPss;
        if (!fits) return $"signature scheme {sig.SigAlg} does not fit a {(_ak.IsEcc ? "ECC" : "RSA")} AK";
        if (_ak.Public is { Scheme.Scheme: not TpmAlgId.Null } p && (p.Scheme.Scheme != sig.SigAlg || p.Scheme.HashAlg != sig.Hash))
            return $"signature uses {sig.SigAlg}/{sig.Hash} but the AK is fixed to {p.Scheme.Scheme}/{p.Scheme.HashAlg}";
        return null;
    }

    private bool VerifySignature(TpmtSignature sig, ReadOnlySpan<byte> attest)
    {
        Span<byte> digest = stackalloc byte[TpmHash.DigestSize(sig.Hash)];
        HashInto(sig.Hash, attest, digest);
        switch (_ak.Key)
        {
            case ECDsa ecdsa:
            {
                var fieldBytes = (ecdsa.KeySize + 7) / 8;
                var r = StripLeadingZeros(sig.R);
                var s = StripLeadingZeros(sig.S);
                if (r.Length > fieldBytes || s.Length > fieldBytes) return false;
                Span<byte> p1363 = stackalloc byte[2 * fieldBytes];
                p1363.Clear();
                r.CopyTo(p1363[(fieldBytes - r.Length)..fieldBytes]);
                s.CopyTo(p1363[(2 * fieldBytes - s.Length)..]);
                return ecdsa.VerifyHash(digest, p1363, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            }
            case RSA rsa:
            {
                if (sig.Rsa.Length != (rsa.KeySize + 7) / 8) return false;
                // Part 1, Annex B.7: the TPM's RSAPSS salt is the digest size, as .NET's Pss padding assumes.
                var padding = sig.SigAlg == TpmAlgId.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
                return rsa.VerifyHash(digest, sig.Rsa, TpmHash.DotNetName(sig.Hash), padding);
            }
            default:
                return false;
        }
    }

    private static ReadOnlySpan<byte> StripLeadingZeros(byte[] b)
    {
        var i = 0;
        while (i < b.Length - 1 && b[i] == 0) i++;
        return b.AsSpan(i);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "TPM_ALG_SHA1 is a TPM 2.0 bank and session algorithm; the TPM's own digests must be reproduced, not chosen")]
    private static void HashInto(TpmAlgId alg, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        switch (alg)
        {
            case TpmAlgId.Sha1: SHA1.HashData(data, destination); break;
            case TpmAlgId.Sha256: SHA256.HashData(data, destination); break;
            case TpmAlgId.Sha384: SHA384.HashData(data, destination); break;
            case TpmAlgId.Sha512: SHA512.HashData(data, destination); break;
            default: throw new TpmFormatException($"hash {alg} is not supported");
        }
    }

    private static QuoteVerdict Fail(QuoteCheck check, string reason, TpmsAttest? attest = null) => new(check, reason, attest);

    public void Dispose() => _ak.Dispose();
}
