using System.Security.Cryptography;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Tests;

/// <summary>
/// A software stand-in for a TPM attestation key, for pure verifier tests that need no TPM: it signs any bytes,
/// so it can produce well-signed quotes with chosen contents.
/// </summary>
internal sealed class SoftwareAk : IDisposable
{
    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TpmtPublic Public
    {
        get
        {
            var q = Key.ExportParameters(false).Q;
            return Client.TpmTemplates.EccAttestationKey() with { UniqueX = q.X!, UniqueY = q.Y! };
        }
    }

    public byte[] Sign(byte[] attest)
    {
        var sig = Key.SignHash(SHA256.HashData(attest), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new TpmtSignature { SigAlg = TpmAlgId.EcDsa, Hash = TpmAlgId.Sha256, R = sig[..32], S = sig[32..] }.ToBytes();
    }

    /// <summary>A well-formed quote over <paramref name="selection"/> with the given values and nonce.</summary>
    public static byte[] MakeQuote(byte[] nonce, TpmlPcrSelection selection, IEnumerable<byte[]> values, uint magic = TpmGenerated.Value) =>
        new TpmsAttest
        {
            Magic = magic,
            Type = TpmSt.AttestQuote,
            QualifiedSigner = [0x00, 0x0B, .. new byte[32]],
            ExtraData = nonce,
            ClockInfo = new TpmsClockInfo(123456, 3, 0, true),
            FirmwareVersion = 0x2019_0827_0001,
            Attested = new TpmsQuoteInfo(selection, SHA256.HashData(values.SelectMany(v => v).ToArray())),
        }.ToBytes();

    public void Dispose() => Key.Dispose();
}
