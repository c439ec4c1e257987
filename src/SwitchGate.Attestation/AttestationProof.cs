using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation;

/// <summary>
/// The secret proofs (docs/protocol.md §8). The secret is the value the agent unseals from its TPM under the
/// clean-configuration PolicyPCR. The agent derives an ECDSA P-256 <b>proof key</b> from it and signs; the controller
/// holds only the proof key's public point, so nothing it stores lets anyone produce a proof (docs/decisions.md,
/// "Proofs are signatures").
/// </summary>
public static class AttestationProof
{
    /// <summary>Input length of the EVIDENCE proof: nonce (32) ‖ session id (8, big-endian) ‖ clean MAC (6).</summary>
    public const int EvidenceInputLength = Limits.NonceLength + 8 + Limits.MacLength;

    /// <summary>The proof key's public point: SEC 1 §2.3.3 uncompressed encoding, 0x04 ‖ X ‖ Y.</summary>
    public const int PublicKeyLength = 1 + (2 * CoordinateLength);

    private const int CoordinateLength = 32;

    /// <summary>
    /// HKDF output length for the private scalar: 64 bits more than the order, so reducing it modulo n−1 is biased by
    /// less than 2^-64 (FIPS 186-5 Appendix A.2.1, "extra random bits").
    /// </summary>
    private const int ScalarSeedLength = CoordinateLength + 8;

    /// <summary>The order n of the P-256 base point (FIPS 186-5 / SP 800-186 §3.2.1.3).</summary>
    private static readonly BigInteger P256Order = BigInteger.Parse(
        "0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);

    /// <summary>HKDF info: names the purpose and the version, so the same secret never yields this key for anything else.</summary>
    private static ReadOnlySpan<byte> DerivationInfo => "SwitchGate proof key v2 P-256"u8;

    /// <summary>
    /// Appended to the EVIDENCE input for a DEPART proof, so that an EVIDENCE proof seen on the wire
    /// can never serve as a DEPART proof for the same session (distinct input lengths, fixed-size fields).
    /// </summary>
    public static ReadOnlySpan<byte> DepartLabel => "DEPART"u8;

    /// <summary>
    /// The proof key of a secret: d = (HKDF-SHA256(secret, info, 40 octets) mod (n−1)) + 1. Deterministic, so the
    /// agent re-derives the same key from the unsealed secret at every exchange. The caller disposes it.
    /// </summary>
    public static ECDsa DeriveKey(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < 16)
        {
            throw new ArgumentException("the secret is at least 16 octets", nameof(secret));
        }

        Span<byte> seed = stackalloc byte[ScalarSeedLength];
        var d = new byte[CoordinateLength];
        try
        {
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, seed, salt: [], DerivationInfo);
            var scalar = (new BigInteger(seed, isUnsigned: true, isBigEndian: true) % (P256Order - 1)) + 1;
            scalar.TryWriteBytes(d.AsSpan(CoordinateLength - scalar.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
            return ECDsa.Create(new ECParameters { Curve = ECCurve.NamedCurves.nistP256, D = d });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(d);
        }
    }

    /// <summary>The public point (65 octets, uncompressed) of the secret's proof key: all a verifier needs.</summary>
    public static byte[] PublicKeyOf(ReadOnlySpan<byte> secret)
    {
        using var key = DeriveKey(secret);
        return PublicKeyOf(key);
    }

    /// <summary>The public point (65 octets, uncompressed) of a P-256 key.</summary>
    public static byte[] PublicKeyOf(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var q = key.ExportParameters(includePrivateParameters: false).Q;
        return [0x04, .. q.X!, .. q.Y!];
    }

    /// <summary>
    /// Imports a public point for verification; null when the octets are not an uncompressed point on P-256 (the
    /// enrolment record's check, and the rotation's).
    /// </summary>
    public static ECDsa? ImportPublicKey(ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length != PublicKeyLength || publicKey[0] != 0x04)
        {
            return null;
        }

        try
        {
            // ImportParameters checks that the point lies on the curve (OpenSSL's EC_KEY_check_key).
            return ECDsa.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = publicKey[1..(1 + CoordinateLength)].ToArray(), Y = publicKey[(1 + CoordinateLength)..].ToArray() },
            });
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="publicKey"/> is an uncompressed point on P-256.</summary>
    public static bool IsValidPublicKey(ReadOnlySpan<byte> publicKey)
    {
        using var key = ImportPublicKey(publicKey);
        return key is not null;
    }

    /// <summary>proof = ECDSA-P256-SHA256(proof key, nonce ‖ session ‖ clean MAC), r ‖ s (docs/protocol.md §8).</summary>
    public static byte[] SignEvidence(ECDsa key, ReadOnlySpan<byte> nonce, ulong sessionId, MacAddress cleanMac)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> input = stackalloc byte[EvidenceInputLength];
        FillInput(input, nonce, sessionId, cleanMac);
        return key.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>
    /// proof = ECDSA-P256-SHA256(proof key, nonce ‖ session ‖ clean MAC ‖ "DEPART"), where nonce is the one whose
    /// EVIDENCE last admitted or renewed the session.
    /// </summary>
    public static byte[] SignDepart(ECDsa key, ReadOnlySpan<byte> nonce, ulong sessionId, MacAddress cleanMac)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> input = stackalloc byte[EvidenceInputLength + DepartLabel.Length];
        FillInput(input, nonce, sessionId, cleanMac);
        DepartLabel.CopyTo(input[EvidenceInputLength..]);
        return key.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Checks an EVIDENCE proof against the enrolled public point; a proof of another length is false.</summary>
    public static bool VerifyEvidence(ECDsa publicKey, ReadOnlySpan<byte> proof, ReadOnlySpan<byte> nonce, ulong sessionId, MacAddress cleanMac)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        Span<byte> input = stackalloc byte[EvidenceInputLength];
        FillInput(input, nonce, sessionId, cleanMac);
        return proof.Length == Limits.ProofLength
            && publicKey.VerifyData(input, proof, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>Checks a DEPART proof against the enrolled public point.</summary>
    public static bool VerifyDepart(ECDsa publicKey, ReadOnlySpan<byte> proof, ReadOnlySpan<byte> nonce, ulong sessionId, MacAddress cleanMac)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        Span<byte> input = stackalloc byte[EvidenceInputLength + DepartLabel.Length];
        FillInput(input, nonce, sessionId, cleanMac);
        DepartLabel.CopyTo(input[EvidenceInputLength..]);
        return proof.Length == Limits.ProofLength
            && publicKey.VerifyData(input, proof, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <summary>The label of the ROTATED proof input: session (8) ‖ generation (4) ‖ clean MAC (6) ‖ "ROTATED" = 25 octets.</summary>
    public static ReadOnlySpan<byte> RotatedLabel => "ROTATED"u8;

    private const int RotatedInputLength = 8 + 4 + Limits.MacLength + 7;

    /// <summary>
    /// proof = ECDSA-P256-SHA256(new proof key, session ‖ generation ‖ clean MAC ‖ "ROTATED"): the agent holds the
    /// rotated secret sealed (docs/protocol.md §8). The input's length (25) differs from EVIDENCE's and DEPART's.
    /// </summary>
    public static byte[] SignRotated(ECDsa key, ulong sessionId, uint generation, MacAddress cleanMac)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> input = stackalloc byte[RotatedInputLength];
        FillRotatedInput(input, sessionId, generation, cleanMac);
        return key.SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    public static bool VerifyRotated(ECDsa publicKey, ReadOnlySpan<byte> proof, ulong sessionId, uint generation, MacAddress cleanMac)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        Span<byte> input = stackalloc byte[RotatedInputLength];
        FillRotatedInput(input, sessionId, generation, cleanMac);
        return proof.Length == Limits.ProofLength
            && publicKey.VerifyData(input, proof, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static void FillRotatedInput(Span<byte> input, ulong sessionId, uint generation, MacAddress cleanMac)
    {
        BinaryPrimitives.WriteUInt64BigEndian(input, sessionId);
        BinaryPrimitives.WriteUInt32BigEndian(input[8..], generation);
        cleanMac.WriteTo(input[12..]);
        RotatedLabel.CopyTo(input[(12 + Limits.MacLength)..]);
    }

    private static void FillInput(Span<byte> input, ReadOnlySpan<byte> nonce, ulong sessionId, MacAddress cleanMac)
    {
        if (nonce.Length != Limits.NonceLength)
        {
            throw new ArgumentException("the nonce is 32 octets", nameof(nonce));
        }

        nonce.CopyTo(input);
        BinaryPrimitives.WriteUInt64BigEndian(input[Limits.NonceLength..], sessionId);
        cleanMac.WriteTo(input[(Limits.NonceLength + 8)..]);
    }
}
