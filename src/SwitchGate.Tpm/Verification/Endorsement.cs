using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Verification;

/// <summary>
/// The endorsement key and its certificate: where a TPM keeps the certificate (TCG EK Credential Profile 2.0, §2.2.1.5
/// "low range" NV indices), and the verifier's checks that bind an attestation key to a genuine TPM:
/// the EK certificate chains to the configured EK CA, certifies exactly the EK public area the node reported, and
/// the AK is a TPM-resident restricted signing key; the binding itself is credential activation (<see cref="Credentials.MakeCredential"/>):
/// only the TPM holding that EK, with the AK of that Name loaded, recovers what the controller encrypted.
/// </summary>
public static class Endorsement
{
    /// <summary>NV index of the RSA 2048 EK certificate (template L-1).</summary>
    public const uint RsaEkCertificateIndex = 0x01C0_0002;

    /// <summary>NV index of the ECC NIST P-256 EK certificate (template L-2).</summary>
    public const uint EccEkCertificateIndex = 0x01C0_000A;

    /// <summary>
    /// Reads the EK (re-created from its TCG template, so it is the key the certificate names) and the EK certificate
    /// from NV. RSA first: it is the EK every TPM (and <c>swtpm_setup --create-ek-cert</c>) provides.
    /// </summary>
    public static async Task<(TpmtPublic EkPublic, byte[] Certificate)> ReadAsync(Tpm2 tpm, CancellationToken ct = default)
    {
        foreach (var (index, template) in new[] { (RsaEkCertificateIndex, TpmTemplates.RsaEndorsementKey()), (EccEkCertificateIndex, TpmTemplates.EccEndorsementKey()) })
        {
            byte[] certificate;
            try
            {
                certificate = await tpm.NvReadAllAsync(index, ct).ConfigureAwait(false);
            }
            catch (TpmException e) when (e.ResponseCode.BaseCode == 0x08B) // TPM_RC_HANDLE: no such index
            {
                continue;
            }
            await using var ek = await tpm.CreatePrimaryAsync(TpmRh.Endorsement, template, ct: ct).ConfigureAwait(false);
            return (ek.Public!, certificate);
        }
        throw new TpmFormatException("the TPM holds no EK certificate (NV 0x01C00002 or 0x01C0000A)");
    }

    /// <summary>
    /// Null when <paramref name="certificateDer"/> is an X.509 certificate that chains to a self-signed certificate of
    /// <paramref name="caBundle"/> (other bundle certificates serve as intermediates; the system store is never
    /// trusted), is valid at <paramref name="now"/>, and certifies the key of <paramref name="ekPublic"/>, which must
    /// be a TPM-resident restricted decryption key (an EK). Otherwise the reason.
    /// </summary>
    public static string? CheckEk(byte[] certificateDer, TpmtPublic ekPublic, IReadOnlyCollection<X509Certificate2> caBundle, DateTime now)
    {
        const TpmaObject required = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.Restricted | TpmaObject.Decrypt;
        if ((ekPublic.ObjectAttributes & required) != required || (ekPublic.ObjectAttributes & TpmaObject.Sign) != 0)
            return $"the EK is not a TPM-resident restricted decryption key (attributes 0x{(uint)ekPublic.ObjectAttributes:X8})";
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadCertificate(certificateDer);
        }
        catch (CryptographicException e)
        {
            return $"the EK certificate is not an X.509 certificate: {e.Message}";
        }
        using (certificate)
        {
            if (!CertifiesKey(certificate, ekPublic))
                return $"the EK certificate '{certificate.Subject}' (serial {certificate.SerialNumber}) certifies another key than the reported EK";
            if (certificate.NotAfter.ToUniversalTime() < now)
                return $"the EK certificate expired at {certificate.NotAfter.ToUniversalTime():u}";
            if (certificate.NotBefore.ToUniversalTime() > now)
                return $"the EK certificate is not valid before {certificate.NotBefore.ToUniversalTime():u}";
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(caBundle.Where(c => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData)).ToArray());
            chain.ChainPolicy.ExtraStore.AddRange(caBundle.ToArray());
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.VerificationTime = now.ToLocalTime();
            // EK certificates carry TCG-specific extensions (a critical subjectAltName with TPM attributes, the
            // tcg-kp-EKCertificate purpose) that a generic TLS policy would object to; only the signatures, the
            // chain to our CA and the dates are what we rely on.
            chain.ChainPolicy.VerificationFlags = X509VerificationFlags.IgnoreWrongUsage | X509VerificationFlags.IgnoreInvalidPolicy;
            if (chain.Build(certificate))
                return null;
            var problems = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return $"the EK certificate (issuer '{certificate.Issuer}') does not chain to the configured EK CA: {string.Join(", ", problems)}";
        }
    }

    /// <summary>
    /// Null when <paramref name="ak"/> can be an attestation key whose Name the TPM vouches for in credential
    /// activation: a restricted signing key created inside the TPM that cannot leave it (fixedTPM, fixedParent,
    /// sensitiveDataOrigin). Otherwise the reason.
    /// </summary>
    public static string? CheckAk(TpmtPublic ak)
    {
        const TpmaObject required = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin | TpmaObject.Restricted | TpmaObject.Sign;
        if ((ak.ObjectAttributes & required) != required || (ak.ObjectAttributes & TpmaObject.Decrypt) != 0)
            return $"the AK is not a TPM-generated, non-duplicable restricted signing key (attributes 0x{(uint)ak.ObjectAttributes:X8})";
        return null;
    }

    private static bool CertifiesKey(X509Certificate2 certificate, TpmtPublic ek)
    {
        try
        {
            switch (ek.Type)
            {
                case TpmAlgId.Rsa:
                {
                    using var rsa = certificate.GetRSAPublicKey();
                    if (rsa is null) return false;
                    var p = rsa.ExportParameters(false);
                    var exponent = ek.Exponent == 0 ? 65537u : ek.Exponent;
                    var e = p.Exponent!.Aggregate(0u, (acc, b) => (acc << 8) | b);
                    return p.Modulus!.AsSpan().SequenceEqual(ek.Unique) && e == exponent;
                }
                case TpmAlgId.Ecc:
                {
                    using var ecdsa = certificate.GetECDsaPublicKey();
                    if (ecdsa is null) return false;
                    var q = ecdsa.ExportParameters(false).Q;
                    return q.X!.AsSpan().SequenceEqual(ek.UniqueX) && q.Y!.AsSpan().SequenceEqual(ek.UniqueY);
                }
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
