using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Benchmarks.Tpm;

/// <summary>
/// Verifier throughput on one core for real swtpm quotes (ECC P-256/ECDSA and RSA-2048/RSASSA), next to the raw
/// .NET signature verification of the same attest bytes (hash + verify, nothing else) in the same run.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkDotNet.Configs.BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class VerifierBenchmarks
{
    private static readonly TpmlPcrSelection Selection = TpmlPcrSelection.Parse("sha256:16,23");

    private sealed record Material(TpmtPublic Ak, byte[] Attest, byte[] Signature, TpmtSignature Parsed, byte[] Nonce, byte[] Values);

    private Material _ecc = null!, _rsa = null!;
    private QuoteVerifier _eccVerifier = null!, _rsaVerifier = null!;
    private ECDsa _eccKey = null!;
    private RSA _rsaKey = null!;
    private byte[] _eccP1363 = null!;

    [GlobalSetup]
    public void Setup()
    {
        using (var swtpm = new SwtpmInstance())
        {
            _ecc = MakeQuote(swtpm, TpmTemplates.EccAttestationKey()).GetAwaiter().GetResult();
            _rsa = MakeQuote(swtpm, TpmTemplates.RsaAttestationKey()).GetAwaiter().GetResult();
        }
        _eccVerifier = new QuoteVerifier(AttestationKey.FromPublic(_ecc.Ak));
        _rsaVerifier = new QuoteVerifier(AttestationKey.FromPublic(_rsa.Ak));
        _eccKey = (ECDsa)_ecc.Ak.ToDotNetKey();
        _rsaKey = (RSA)_rsa.Ak.ToDotNetKey();
        _eccP1363 = [.. Pad(_ecc.Parsed.R), .. Pad(_ecc.Parsed.S)];
        if (!EccVerifier() || !RsaVerifier() || !EccRaw() || !RsaRaw() || !EccChecksOnly() || !RsaChecksOnly()) throw new InvalidOperationException("setup quotes do not verify");
    }

    private static byte[] Pad(byte[] b) => b.Length >= 32 ? b[^32..] : [.. new byte[32 - b.Length], .. b];

    private static async Task<Material> MakeQuote(SwtpmInstance swtpm, TpmtPublic template)
    {
        using var tpm = await Tpm2.ConnectSwtpmAsync("127.0.0.1", swtpm.Port);
        await using var srk = await tpm.CreatePrimaryAsync(TpmRh.Owner, TpmTemplates.EccStorageKey());
        var blob = await tpm.CreateAsync(srk.Handle, template);
        await using var ak = await tpm.LoadAsync(srk.Handle, blob);
        var nonce = RandomNumberGenerator.GetBytes(32);
        var quote = await tpm.QuoteAsync(ak.Handle, nonce, Selection);
        var (_, values) = await tpm.PcrReadAsync(Selection);
        return new Material(blob.Public, quote.Attest, quote.Signature.ToBytes(), quote.Signature, nonce, values.SelectMany(v => v).ToArray());
    }

    [Benchmark(Baseline = true, Description = "ECC raw .NET ECDsa.VerifyData"), BenchmarkCategory("ECC")]
    public bool EccRaw() => _eccKey.VerifyData(_ecc.Attest, _eccP1363, HashAlgorithmName.SHA256);

    [Benchmark(Description = "ECC QuoteVerifier.Verify"), BenchmarkCategory("ECC")]
    public bool EccVerifier() => _eccVerifier.Verify(_ecc.Attest, _ecc.Signature, _ecc.Nonce, Selection, _ecc.Values).IsValid;

    [Benchmark(Baseline = true, Description = "RSA raw .NET RSA.VerifyData"), BenchmarkCategory("RSA")]
    public bool RsaRaw() => _rsaKey.VerifyData(_rsa.Attest, _rsa.Parsed.Rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    [Benchmark(Description = "RSA QuoteVerifier.Verify"), BenchmarkCategory("RSA")]
    public bool RsaVerifier() => _rsaVerifier.Verify(_rsa.Attest, _rsa.Signature, _rsa.Nonce, Selection, _rsa.Values).IsValid;

    /// <summary>
    /// Everything the verifier does besides the signature verification itself, through the public API: parse both
    /// structures, compare nonce and selection, recompute the PCR digest. Small and stable even on a busy machine.
    /// </summary>
    [Benchmark(Description = "ECC parse + checks, no signature"), BenchmarkCategory("ECC")]
    public bool EccChecksOnly() => ChecksOnly(_ecc);

    [Benchmark(Description = "RSA parse + checks, no signature"), BenchmarkCategory("RSA")]
    public bool RsaChecksOnly() => ChecksOnly(_rsa);

    private static bool ChecksOnly(Material m)
    {
        var sig = TpmtSignature.Parse(m.Signature);
        var attest = TpmsAttest.Parse(m.Attest);
        var quote = (TpmsQuoteInfo)attest.Attested;
        return sig.Hash == TpmAlgId.Sha256 && attest.Magic == TpmGenerated.Value && attest.Type == TpmSt.AttestQuote
            && CryptographicOperations.FixedTimeEquals(attest.ExtraData, m.Nonce) && quote.PcrSelect.Equals(Selection)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(m.Values), quote.PcrDigest);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _eccVerifier.Dispose();
        _rsaVerifier.Dispose();
        _eccKey.Dispose();
        _rsaKey.Dispose();
    }
}
