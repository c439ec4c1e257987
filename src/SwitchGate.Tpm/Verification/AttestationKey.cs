using System.Security.Cryptography;
using System.Text;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Verification;

/// <summary>
/// The verifier's view of an attestation key: the imported .NET public key plus, when it came as a
/// TPM2B_PUBLIC, the public area (scheme, attributes, Name). A TPM2B_PUBLIC must describe a restricted
/// signing key — only such a key guarantees that whatever starts with TPM_GENERATED_VALUE came from the TPM.
/// </summary>
public sealed class AttestationKey : IDisposable
{
    private AttestationKey(AsymmetricAlgorithm key, TpmtPublic? publicArea)
    {
        Key = key;
        Public = publicArea;
    }

    public AsymmetricAlgorithm Key { get; }
    public TpmtPublic? Public { get; }
    public bool IsEcc => Key is ECDsa;

    /// <summary>The AK's Name (only known for a TPM2B_PUBLIC).</summary>
    public byte[]? Name => Public?.ComputeName();

    public static AttestationKey FromPublic(TpmtPublic publicArea)
    {
        const TpmaObject required = TpmaObject.Restricted | TpmaObject.Sign;
        if ((publicArea.ObjectAttributes & required) != required || (publicArea.ObjectAttributes & TpmaObject.Decrypt) != 0)
            throw new TpmFormatException($"the AK is not a restricted signing key (attributes 0x{(uint)publicArea.ObjectAttributes:X8})");
        // The verifier compares qualifiedSigner with the key's Name: a nameAlg we cannot hash is refused now, at
        // enrolment, not at the first quote (found by fuzzing).
        publicArea.ComputeName();
        return new AttestationKey(publicArea.ToDotNetKey(), publicArea);
    }

    public static AttestationKey FromTpm2bPublic(ReadOnlySpan<byte> bytes) => FromPublic(Tpm2bPublic.Parse(bytes));

    /// <summary>A PEM "PUBLIC KEY" (SubjectPublicKeyInfo), ECC or RSA, as <c>tpm2_readpublic -f pem</c> writes.</summary>
    public static AttestationKey FromPem(string pem)
    {
        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] is not "PUBLIC KEY")
            throw new TpmFormatException("no PEM \"PUBLIC KEY\" block found");
        byte[] der;
        try
        {
            der = Convert.FromBase64String(pem[fields.Base64Data].ToString());
        }
        catch (FormatException)
        {
            throw new TpmFormatException("PEM body is not base64");
        }
        try
        {
            var pk = System.Security.Cryptography.X509Certificates.PublicKey.CreateFromSubjectPublicKeyInfo(der, out _);
            AsymmetricAlgorithm? key = (AsymmetricAlgorithm?)pk.GetECDsaPublicKey() ?? pk.GetRSAPublicKey();
            return key is null ? throw new TpmFormatException("PEM public key is neither ECC nor RSA") : new AttestationKey(key, null);
        }
        catch (CryptographicException e)
        {
            throw new TpmFormatException($"PEM public key is not valid: {e.Message}");
        }
    }

    /// <summary>Detects the format: PEM text if it starts with "-----BEGIN", otherwise a TPM2B_PUBLIC.</summary>
    public static AttestationKey FromFileBytes(byte[] bytes)
    {
        var head = Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 64)).TrimStart();
        return head.StartsWith("-----BEGIN", StringComparison.Ordinal) ? FromPem(Encoding.ASCII.GetString(bytes)) : FromTpm2bPublic(bytes);
    }

    public void Dispose() => Key.Dispose();
}
