using System.Text;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation;

/// <summary>Sizes fixed by the specification (docs/protocol.md §3 and §4).</summary>
public static class Limits
{
    /// <summary>Magic "SG" at octets 0–1 of every message, in every version.</summary>
    public const ushort Magic = 0x5347;

    public const byte Version = 2;

    public const int HeaderLength = 16;

    public const int TlvHeaderLength = 4;

    /// <summary>One message per frame, and an Ethernet payload is at most 1500 octets (IEEE 802.3 clause 3.2.7).</summary>
    public const int MaxMessageLength = 1500;

    public const int NonceLength = 32;

    /// <summary>An ECDSA P-256 signature, r ‖ s (docs/protocol.md §8).</summary>
    public const int ProofLength = 64;

    public const int MacLength = 6;

    public const int MaxNodeNameLength = 64;

    public const int MaxPcrDigestLength = 64;

    /// <summary>
    /// The encoded length of an EVIDENCE: 64 + attest + signature + Σ(1 + digest) octets (docs/protocol.md §9).
    /// An enrolment whose quote does not fit (more than <see cref="MaxMessageLength"/>) cannot be attested over one frame.
    /// </summary>
    public static int EvidenceLength(int attestLength, int signatureLength, IEnumerable<int> pcrDigestLengths) =>
        HeaderLength + (4 * TlvHeaderLength) + attestLength + signatureLength + pcrDigestLengths.Sum(d => 1 + d) + ProofLength;

    /// <summary>The inclusive value-length range of each registered TLV type (docs/protocol.md §4).</summary>
    public static (int Min, int Max) ValueLength(TlvType type) => type switch
    {
        TlvType.NodeName => (1, MaxNodeNameLength),
        TlvType.CleanMac => (MacLength, MacLength),
        TlvType.Nonce => (NonceLength, NonceLength),
        TlvType.PcrSelection => (4, 132),
        TlvType.Attest => (1, 1024),
        TlvType.Signature => (1, 1024),
        TlvType.PcrValues => (2, MaxMessageLength - HeaderLength - TlvHeaderLength),
        TlvType.Proof => (ProofLength, ProofLength),
        TlvType.Verdict => (1, 1),
        TlvType.Reason => (2, 2),
        TlvType.LeaseSeconds => (2, 2),
        TlvType.Cause => (2, 2),
        TlvType.Generation => (4, 4),
        // TPM2B_ID_OBJECT contents: integrityHMAC (2 + digest) ‖ encIdentity (a TPM2B_DIGEST, encrypted).
        TlvType.Credential => (4, 256),
        // TPM2B_ENCRYPTED_SECRET contents: the seed encrypted to the EK (RSA: the modulus size, up to 4096 bits).
        TlvType.EncryptedSecret => (1, 512),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a registered TLV type"),
    };
}

/// <summary>Argument checks shared by the message constructors; the decoder checks the same rules first.</summary>
internal static class Validate
{
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    internal static ulong SessionRequired(ulong sessionId) =>
        sessionId != 0 ? sessionId : throw new ArgumentException("this message needs a session id other than 0", nameof(sessionId));

    internal static string NodeName(string nodeName)
    {
        ArgumentNullException.ThrowIfNull(nodeName);
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(nodeName);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("the node name is not valid Unicode", nameof(nodeName), e);
        }

        if (bytes.Length is < 1 or > Limits.MaxNodeNameLength || nodeName.Any(char.IsControl))
        {
            throw new ArgumentException("a node name is 1..64 octets of UTF-8 without control characters", nameof(nodeName));
        }

        return nodeName;
    }

    internal static bool IsValidCleanMac(ReadOnlySpan<byte> mac) =>
        mac.Length == Limits.MacLength && (mac[0] & 0x01) == 0 && mac.ContainsAnyExcept((byte)0);

    internal static MacAddress CleanMac(MacAddress mac) =>
        mac.IsUnicast ? mac : throw new ArgumentException("the clean MAC must be a unicast address other than 0", nameof(mac));

    internal static uint Generation(uint generation) =>
        generation != 0 ? generation : throw new ArgumentException("generation 0 is the enrolled secret; a rotation is 1 or more", nameof(generation));

    internal static ReadOnlyMemory<byte> Exact(ReadOnlySpan<byte> value, int length, string name) =>
        value.Length == length ? value.ToArray() : throw new ArgumentException($"must be {length} octets", name);

    internal static ReadOnlyMemory<byte> Range(ReadOnlySpan<byte> value, TlvType type, string name)
    {
        var (min, max) = Limits.ValueLength(type);
        return value.Length >= min && value.Length <= max
            ? value.ToArray()
            : throw new ArgumentException($"must be {min}..{max} octets", name);
    }

    internal static IReadOnlyList<ReadOnlyMemory<byte>> PcrValues(IEnumerable<ReadOnlyMemory<byte>> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var copy = values.Select(v => v.Length is >= 1 and <= Limits.MaxPcrDigestLength
            ? (ReadOnlyMemory<byte>)v.ToArray()
            : throw new ArgumentException("a PCR value is 1..64 octets", nameof(values))).ToArray();
        var (_, max) = Limits.ValueLength(TlvType.PcrValues);
        if (copy.Length == 0 || copy.Sum(v => 1 + v.Length) > max)
        {
            throw new ArgumentException("at least one PCR value, and no more than one TLV can hold", nameof(values));
        }

        return Array.AsReadOnly(copy);
    }

    internal static int Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = default(HashCode);
        hash.AddBytes(bytes);
        return hash.ToHashCode();
    }
}
