using System.Buffers.Binary;
using System.Net.NetworkInformation;
using System.Security.Cryptography;

namespace SwitchGate.Attestation;

/// <summary>
/// The secret proofs (docs/protocol.md §8). The secret is the value the agent unseals from its TPM
/// under the clean-configuration PolicyPCR; the controller holds the enrolled copy.
/// </summary>
public static class AttestationProof
{
    /// <summary>Input length of the EVIDENCE proof: nonce (32) ‖ session id (8, big-endian) ‖ clean MAC (6).</summary>
    public const int EvidenceInputLength = Limits.NonceLength + 8 + Limits.MacLength;

    /// <summary>
    /// Appended to the EVIDENCE input for a DEPART proof, so that an EVIDENCE proof seen on the wire
    /// can never serve as a DEPART proof for the same session (distinct input lengths, fixed-size fields).
    /// </summary>
    public static ReadOnlySpan<byte> DepartLabel => "DEPART"u8;

    /// <summary>proof = HMAC-SHA256(secret, nonce ‖ session ‖ clean MAC) (docs/architecture.md "The attestation exchange").</summary>
    public static byte[] ComputeEvidenceProof(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> nonce, ulong sessionId, PhysicalAddress cleanMac)
    {
        Span<byte> input = stackalloc byte[EvidenceInputLength];
        FillInput(input, secret, nonce, sessionId, cleanMac);
        return HMACSHA256.HashData(secret, input);
    }

    /// <summary>
    /// proof = HMAC-SHA256(secret, nonce ‖ session ‖ clean MAC ‖ "DEPART"), where nonce is the one whose
    /// EVIDENCE last admitted or renewed the session.
    /// </summary>
    public static byte[] ComputeDepartProof(ReadOnlySpan<byte> secret, ReadOnlySpan<byte> nonce, ulong sessionId, PhysicalAddress cleanMac)
    {
        Span<byte> input = stackalloc byte[EvidenceInputLength + DepartLabel.Length];
        FillInput(input, secret, nonce, sessionId, cleanMac);
        DepartLabel.CopyTo(input[EvidenceInputLength..]);
        return HMACSHA256.HashData(secret, input);
    }

    /// <summary>Compares a received proof with the expected one in time independent of where they differ.</summary>
    public static bool ProofsEqual(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> received) =>
        expected.Length == Limits.ProofLength && CryptographicOperations.FixedTimeEquals(expected, received);

    private static void FillInput(Span<byte> input, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> nonce, ulong sessionId, PhysicalAddress cleanMac)
    {
        if (secret.IsEmpty)
        {
            throw new ArgumentException("the secret is empty", nameof(secret));
        }

        if (nonce.Length != Limits.NonceLength)
        {
            throw new ArgumentException("the nonce is 32 octets", nameof(nonce));
        }

        ArgumentNullException.ThrowIfNull(cleanMac);
        var mac = cleanMac.GetAddressBytes();
        if (mac.Length != Limits.MacLength)
        {
            throw new ArgumentException("the clean MAC is 6 octets", nameof(cleanMac));
        }

        nonce.CopyTo(input);
        BinaryPrimitives.WriteUInt64BigEndian(input[Limits.NonceLength..], sessionId);
        mac.CopyTo(input[(Limits.NonceLength + 8)..]);
    }
}
