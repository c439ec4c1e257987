using SwitchGate.Attestation;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Tpm.Credentials;
using SwitchGate.Tpm.Marshalling;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Verification;

namespace SwitchGate.Gate.Enrolment;

/// <summary>
/// The controller's half of binding an enrolled AK to a genuine TPM (docs/enrolment.md, "AK bound to the EK"):
/// check the record's EK certificate against the EK CA and its AK's attributes, then replace the secret with a new
/// one that travels encrypted to the EK and bound to the AK's Name, so only the TPM holding both can seal it.
/// </summary>
public static class EkBinding
{
    /// <summary>The EK CA bundle (PEM; self-signed certificates are the roots, the others intermediates).</summary>
    public static IReadOnlyList<X509Certificate2> LoadCaBundle(string path)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPemFile(path);
        return bundle.Count > 0 ? bundle.ToList() : throw new CryptographicException($"'{path}' holds no PEM certificate");
    }

    /// <summary>Null when the record carries an EK certified by <paramref name="ekCa"/> and a TPM-resident AK; otherwise the reason.</summary>
    public static string? Check(EnrolmentRecord record, IReadOnlyCollection<X509Certificate2> ekCa, DateTime now)
    {
        if (record.EkPublic is null || record.EkCertificate is null)
            return "no ek_public/ek_certificate: the AK cannot be bound to a TPM (enrol on a TPM with an EK certificate)";
        TpmtPublic ek, ak;
        try
        {
            ek = Tpm2bPublic.Parse(record.EkPublic);
            ak = Tpm2bPublic.Parse(record.AkPublic);
        }
        catch (TpmFormatException e)
        {
            return $"ek_public or ak_public: {e.Message}";
        }
        return Endorsement.CheckEk(record.EkCertificate, ek, ekCa, now) ?? Endorsement.CheckAk(ak);
    }

    /// <summary>
    /// The bound record (the proof key of a new random secret, <c>ak_bound_to_ek</c>) for the enrolment directory and the credential
    /// for the agent's <c>activate</c>. Throws <see cref="EnrolmentFormatException"/> when <see cref="Check"/> fails.
    /// </summary>
    public static (EnrolmentRecord Record, CredentialChallenge Credential) Bind(EnrolmentRecord record, IReadOnlyCollection<X509Certificate2> ekCa, DateTime now)
    {
        if (Check(record, ekCa, now) is { } problem)
            throw new EnrolmentFormatException(problem);
        // The new secret lives only in this process's memory: the record keeps its proof key's public point, the
        // credential the secret encrypted to the EK. Neither lets anyone who reads the files prove anything.
        var secret = RandomNumberGenerator.GetBytes(EnrolmentRecord.SecretLength);
        try
        {
            var ak = Tpm2bPublic.Parse(record.AkPublic);
            var credential = MakeCredential.Create(Tpm2bPublic.Parse(record.EkPublic!), ak.ComputeName(), secret);
            return ((record with { ProofKey = AttestationProof.PublicKeyOf(secret), AkBoundToEk = true }).Validated(), credential);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }
}
