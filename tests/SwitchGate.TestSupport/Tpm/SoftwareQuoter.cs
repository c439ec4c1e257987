using System.Security.Cryptography;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.TestSupport.Tpm;

/// <summary>
/// A software stand-in for a TPM's attestation key: an ECDSA P-256 key that produces TPM2_Quote outputs
/// (TPMS_ATTEST + TPMT_SIGNATURE) byte-compatible with what a TPM returns, built with the Tpm library's
/// structures and marshalling. For unit tests of the gate and for the load generator of the benchmarks
/// (1,000 simulated nodes); it holds its own "PCRs" and clock counters, which tests may set to anything,
/// including values a real TPM would never report. Not thread-safe; one per simulated node.
/// </summary>
public sealed class SoftwareQuoter : IDisposable
{
    private readonly ECDsa _key;
    private readonly TpmtPublic _public;
    private readonly Dictionary<int, byte[]> _pcrs = new();

    public SoftwareQuoter(TpmlPcrSelection selection)
    {
        if (selection.Selections.Count == 0)
            throw new ArgumentException("the selection has no bank", nameof(selection));
        Selection = selection;
        _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = _key.ExportParameters(false).Q;
        // Same public area as the agent's AK template (restricted ECDSA/SHA-256 signing key).
        _public = TpmTemplates.EccAttestationKey() with { UniqueX = q.X!, UniqueY = q.Y! };
        foreach (var (hash, pcr) in selection.InOrder())
            _pcrs[pcr] = new byte[TpmHash.DigestSize(hash)];
    }

    /// <summary>The PCR selection this quoter quotes (one bank is what the enrolment format supports).</summary>
    public TpmlPcrSelection Selection { get; }

    /// <summary>The AK's public area as TPM2B_PUBLIC, i.e. the enrolment record's <c>ak_public</c>.</summary>
    public byte[] AkPublic => Tpm2bPublic.ToBytes(_public);

    /// <summary>TPMS_CLOCK_INFO fields reported in the next quote.</summary>
    public ulong Clock { get; set; } = 1_000_000;
    public uint ResetCount { get; set; } = 1;
    public uint RestartCount { get; set; }
    public bool Safe { get; set; } = true;

    /// <summary>Overrides of the structure, for attacks: a wrong magic or a non-quote type.</summary>
    public uint Magic { get; set; } = TpmGenerated.Value;
    public TpmSt AttestType { get; set; } = TpmSt.AttestQuote;

    /// <summary>Current value of a selected PCR.</summary>
    public byte[] Pcr(int index) => (byte[])_pcrs[index].Clone();

    /// <summary>Sets a selected PCR to <paramref name="value"/> (the emulated measured launch or a test).</summary>
    public void SetPcr(int index, byte[] value)
    {
        if (!_pcrs.TryGetValue(index, out var old) || old.Length != value.Length)
            throw new ArgumentException($"PCR {index} is not selected or the value has the wrong size");
        _pcrs[index] = (byte[])value.Clone();
    }

    /// <summary>TPM2_PCR_Extend semantics (Part 1, §17.7): new = H(old ‖ digest).</summary>
    public void Extend(int index, ReadOnlySpan<byte> data)
    {
        var hash = Selection.Selections[0].Hash;
        var old = _pcrs[index];
        _pcrs[index] = TpmHash.Compute(hash, [.. old, .. TpmHash.Compute(hash, data)]);
    }

    /// <summary>The PCR values in selection order (what EVIDENCE's PCR_VALUES carries).</summary>
    public IReadOnlyList<byte[]> PcrValues() => Selection.InOrder().Select(p => (byte[])_pcrs[p.Pcr].Clone()).ToList();

    /// <summary>
    /// A quote over <paramref name="nonce"/> as TPM2_Quote returns it (Part 3, §18.4): TPMS_ATTEST with the
    /// quoted selection and pcrDigest = SHA-256 of the concatenated values, signed with ECDSA/SHA-256.
    /// <paramref name="selection"/> overrides the quoted selection (attacks); its PCRs must be set.
    /// </summary>
    public (byte[] Attest, byte[] Signature) Quote(ReadOnlySpan<byte> nonce, TpmlPcrSelection? selection = null)
    {
        var quoted = selection ?? Selection;
        var concatenated = quoted.InOrder().SelectMany(p => _pcrs[p.Pcr]).ToArray();
        var attest = new TpmsAttest
        {
            Magic = Magic,
            Type = AttestType,
            QualifiedSigner = _public.ComputeName(),
            ExtraData = nonce.ToArray(),
            ClockInfo = new TpmsClockInfo(Clock, ResetCount, RestartCount, Safe),
            FirmwareVersion = 0x0002_0000_0000_0000,
            Attested = new TpmsQuoteInfo(quoted, SHA256.HashData(concatenated)),
        }.ToBytes();
        return (attest, Sign(attest));
    }

    /// <summary>Signs arbitrary bytes as the AK would (a TPM only does so for data it generated; tests forge with it).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var p1363 = _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha256, R = p1363[..32], S = p1363[32..] }.ToBytes();
    }

    public void Dispose() => _key.Dispose();
}
