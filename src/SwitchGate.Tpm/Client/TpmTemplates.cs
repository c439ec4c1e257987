using SwitchGate.Tpm.Structures;

namespace SwitchGate.Tpm.Client;

/// <summary>Public-area templates for the objects SwitchGate creates.</summary>
public static class TpmTemplates
{
    private const TpmaObject StorageAttributes = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin
        | TpmaObject.UserWithAuth | TpmaObject.NoDa | TpmaObject.Restricted | TpmaObject.Decrypt;

    /// <summary>
    /// Attestation keys: restricted signing keys that never leave the TPM. noDA because an unorderly power
    /// cycle counts as a dictionary-attack failure (docs/tool-notes.md) and the AK has an empty authValue anyway.
    /// </summary>
    private const TpmaObject AttestationAttributes = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin
        | TpmaObject.UserWithAuth | TpmaObject.NoDa | TpmaObject.Restricted | TpmaObject.Sign;

    /// <summary>TCG EK Credential Profile, template attributes: fixedTPM, fixedParent, sensitiveDataOrigin, adminWithPolicy, restricted, decrypt.</summary>
    private const TpmaObject EndorsementAttributes = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.SensitiveDataOrigin
        | TpmaObject.AdminWithPolicy | TpmaObject.Restricted | TpmaObject.Decrypt;

    /// <summary>PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256, the authPolicy of the standard EK templates (TCG EK Credential Profile, §B.3.3).</summary>
    public static readonly byte[] EkPolicySha256 = Convert.FromHexString("837197674484B3F81A90CC8D46A5D724FD52D76E06520B64F2A1DA1B331469AA");

    /// <summary>ECC NIST P-256 storage key (SRK): TCG Provisioning Guidance SRK template with noDA and an empty unique.</summary>
    public static TpmtPublic EccStorageKey() => new()
    {
        Type = TpmAlgId.Ecc,
        ObjectAttributes = StorageAttributes,
        Symmetric = TpmtSymDefObject.Aes128Cfb,
        Curve = TpmEccCurve.NistP256,
    };

    /// <summary>RSA-2048 storage key (SRK): AES-128-CFB, exponent 2^16+1 (0), no scheme.</summary>
    public static TpmtPublic RsaStorageKey() => new()
    {
        Type = TpmAlgId.Rsa,
        ObjectAttributes = StorageAttributes,
        Symmetric = TpmtSymDefObject.Aes128Cfb,
        KeyBits = 2048,
    };

    /// <summary>ECC P-256 attestation key, ECDSA with SHA-256.</summary>
    public static TpmtPublic EccAttestationKey() => new()
    {
        Type = TpmAlgId.Ecc,
        ObjectAttributes = AttestationAttributes,
        Scheme = new TpmtScheme(TpmAlgId.EcDsa, TpmAlgId.Sha256),
        Curve = TpmEccCurve.NistP256,
    };

    /// <summary>RSA-2048 attestation key, RSASSA-PKCS1-v1_5 (or RSAPSS) with SHA-256.</summary>
    public static TpmtPublic RsaAttestationKey(TpmAlgId scheme = TpmAlgId.RsaSsa) => new()
    {
        Type = TpmAlgId.Rsa,
        ObjectAttributes = AttestationAttributes,
        Scheme = new TpmtScheme(scheme, TpmAlgId.Sha256),
        KeyBits = 2048,
    };

    /// <summary>TCG EK Credential Profile template L-2: ECC NIST P-256 EK, unique = two 32-byte zero buffers.</summary>
    public static TpmtPublic EccEndorsementKey() => new()
    {
        Type = TpmAlgId.Ecc,
        ObjectAttributes = EndorsementAttributes,
        AuthPolicy = EkPolicySha256,
        Symmetric = TpmtSymDefObject.Aes128Cfb,
        Curve = TpmEccCurve.NistP256,
        UniqueX = new byte[32],
        UniqueY = new byte[32],
    };

    /// <summary>TCG EK Credential Profile template L-1: RSA-2048 EK, unique = 256 zero bytes.</summary>
    public static TpmtPublic RsaEndorsementKey() => new()
    {
        Type = TpmAlgId.Rsa,
        ObjectAttributes = EndorsementAttributes,
        AuthPolicy = EkPolicySha256,
        Symmetric = TpmtSymDefObject.Aes128Cfb,
        KeyBits = 2048,
        Unique = new byte[256],
    };

    /// <summary>
    /// A sealed data object (KEYEDHASH, scheme NULL) usable only through <paramref name="policyDigest"/>: no
    /// userWithAuth, so the authValue cannot unseal it; noDA so reboots cannot lock it out.
    /// </summary>
    public static TpmtPublic SealedData(byte[] policyDigest) => new()
    {
        Type = TpmAlgId.KeyedHash,
        ObjectAttributes = TpmaObject.FixedTpm | TpmaObject.FixedParent | TpmaObject.NoDa,
        AuthPolicy = policyDigest,
    };
}
