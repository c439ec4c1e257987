using System.Security.Cryptography;
using SwitchGate.Tpm.Marshalling;

namespace SwitchGate.Tpm.Structures;

/// <summary>Digest sizes and software hashing for the TPM hash algorithms this library supports.</summary>
public static class TpmHash
{
    public static bool IsSupported(TpmAlgId alg) =>
        alg is TpmAlgId.Sha1 or TpmAlgId.Sha256 or TpmAlgId.Sha384 or TpmAlgId.Sha512;

    public static int DigestSize(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => 20,
        TpmAlgId.Sha256 => 32,
        TpmAlgId.Sha384 => 48,
        TpmAlgId.Sha512 => 64,
        TpmAlgId.Sm3_256 => 32,
        TpmAlgId.Sha3_256 => 32,
        TpmAlgId.Sha3_384 => 48,
        TpmAlgId.Sha3_512 => 64,
        _ => throw new TpmFormatException($"{alg} is not a hash algorithm"),
    };

    public static HashAlgorithmName DotNetName(TpmAlgId alg) => alg switch
    {
        TpmAlgId.Sha1 => HashAlgorithmName.SHA1,
        TpmAlgId.Sha256 => HashAlgorithmName.SHA256,
        TpmAlgId.Sha384 => HashAlgorithmName.SHA384,
        TpmAlgId.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new TpmFormatException($"hash algorithm {alg} is not supported in software"),
    };

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "TPM_ALG_SHA1 is a TPM 2.0 bank and session algorithm; the TPM's own digests must be reproduced, not chosen")]
    public static byte[] Compute(TpmAlgId alg, ReadOnlySpan<byte> data) => alg switch
    {
        TpmAlgId.Sha1 => SHA1.HashData(data),
        TpmAlgId.Sha256 => SHA256.HashData(data),
        TpmAlgId.Sha384 => SHA384.HashData(data),
        TpmAlgId.Sha512 => SHA512.HashData(data),
        _ => throw new TpmFormatException($"hash algorithm {alg} is not supported in software"),
    };

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "TPM_ALG_SHA1 is a TPM 2.0 bank and session algorithm; the TPM's own digests must be reproduced, not chosen")]
    public static byte[] Hmac(TpmAlgId alg, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) => alg switch
    {
        TpmAlgId.Sha1 => HMACSHA1.HashData(key, data),
        TpmAlgId.Sha256 => HMACSHA256.HashData(key, data),
        TpmAlgId.Sha384 => HMACSHA384.HashData(key, data),
        TpmAlgId.Sha512 => HMACSHA512.HashData(key, data),
        _ => throw new TpmFormatException($"hash algorithm {alg} is not supported in software"),
    };
}
