namespace SwitchGate.Attestation;

/// <summary>Message types (docs/protocol.md §3, header octet 3).</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    Challenge = 0x02,
    Evidence = 0x03,
    Verdict = 0x04,
    Depart = 0x05,

    /// <summary>Controller → agent: a new secret, encrypted to the node's TPM (docs/protocol.md §5.6).</summary>
    Rotate = 0x06,

    /// <summary>Agent → controller: the new secret is sealed; proven with its proof key (docs/protocol.md §5.7).</summary>
    Rotated = 0x07,
}

/// <summary>
/// TLV types (docs/protocol.md §4). Bit 15 is the "skip if unknown" bit: a receiver that does not
/// know a type with that bit set ignores the TLV; an unknown type without it makes the message malformed.
/// Every type defined in version 1 has the bit clear, so all of them are critical.
/// </summary>
public enum TlvType : ushort
{
    NodeName = 0x0001,
    CleanMac = 0x0002,
    Nonce = 0x0003,
    PcrSelection = 0x0004,
    Attest = 0x0005,
    Signature = 0x0006,
    PcrValues = 0x0007,
    Proof = 0x0008,
    Verdict = 0x0009,
    Reason = 0x000A,
    LeaseSeconds = 0x000B,
    Cause = 0x000C,
    Generation = 0x000D,
    Credential = 0x000E,
    EncryptedSecret = 0x000F,
}

/// <summary>The outcome carried by the VERDICT TLV (docs/protocol.md §4.9).</summary>
public enum VerdictKind : byte
{
    Admitted = 0x01,
    Denied = 0x02,
    Revoked = 0x03,
}

/// <summary>
/// The closed set of reason codes (docs/protocol.md §6). The high octet is the class:
/// 0x00 admission, 0x01 denial (a check failed), 0x02 revocation (an admission ended).
/// </summary>
public enum ReasonCode : ushort
{
    Admitted = 0x0000,
    Renewed = 0x0001,

    NonceUnknown = 0x0101,
    NonceUsed = 0x0102,
    NonceExpired = 0x0103,
    UnknownSession = 0x0104,
    WrongPort = 0x0105,
    NotEnrolled = 0x0106,
    CleanMacMismatch = 0x0107,
    EvidenceMalformed = 0x0108,
    BadSignature = 0x0109,
    BadMagic = 0x010A,
    NotAQuote = 0x010B,
    ExtraDataMismatch = 0x010C,
    PcrSelectionMismatch = 0x010D,
    PcrDigestMismatch = 0x010E,
    PcrValuesNotGolden = 0x010F,
    ClockUnsafe = 0x0110,
    CountersWentBackwards = 0x0111,
    BadSecretProof = 0x0112,

    Departed = 0x0201,
    PortDown = 0x0202,
    PortChanged = 0x0203,
    LeaseExpired = 0x0204,
    ReattestationFailed = 0x0205,
    RebootDetected = 0x0206,
    EnrolmentRemoved = 0x0207,
    EnrolmentChanged = 0x0208,
}

public static class ReasonCodes
{
    /// <summary>True if <paramref name="code"/> is one of the registered codes.</summary>
    public static bool IsDefined(ReasonCode code) => Enum.IsDefined(code);

    /// <summary>
    /// True for the denials that only say an exchange was late, duplicated or replayed (docs/protocol.md §7.2 †):
    /// they never end an admission. The gate also keeps an admission on failures it cannot authenticate (a garbled or
    /// foreign quote, values that are not the quoted ones, a wrong PROOF: docs/gate.md "What may revoke").
    /// </summary>
    public static bool IsStaleExchange(ReasonCode code) => code is
        ReasonCode.UnknownSession or ReasonCode.NonceUnknown or ReasonCode.NonceUsed
        or ReasonCode.NonceExpired or ReasonCode.ExtraDataMismatch;

    /// <summary>The verdict a reason code belongs with: its class (docs/protocol.md §6).</summary>
    public static VerdictKind KindOf(ReasonCode code) => ((ushort)code >> 8) switch
    {
        0x00 => VerdictKind.Admitted,
        0x01 => VerdictKind.Denied,
        0x02 => VerdictKind.Revoked,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "not a registered reason code"),
    };
}

/// <summary>Why a frame or message was refused by the codec.</summary>
public enum FormatError
{
    /// <summary>Shorter than the fixed header.</summary>
    TooShort,
    BadMagic,
    UnsupportedVersion,
    UnknownMessageType,
    /// <summary>The header length field is below the header size, above the MTU limit, or beyond the bytes present.</summary>
    BadLength,
    /// <summary>The reserved flags field is not zero.</summary>
    ReservedFlags,
    /// <summary>The session id is zero where the message requires one (or the reverse).</summary>
    BadSessionId,
    /// <summary>A TLV header or value runs past the end of the message.</summary>
    TruncatedTlv,
    /// <summary>A TLV's length is outside the range its type allows.</summary>
    BadTlvLength,
    /// <summary>A TLV's value is not valid for its type (e.g. a multicast MAC, invalid UTF-8, an unregistered code).</summary>
    BadTlvValue,
    DuplicateTlv,
    /// <summary>An unknown TLV type without the skip-if-unknown bit.</summary>
    UnknownCriticalTlv,
    /// <summary>A known TLV type that this message type does not allow.</summary>
    UnexpectedTlv,
    MissingTlv,
    /// <summary>The encoded message would not fit the 1500-octet MTU.</summary>
    MessageTooLarge,
    /// <summary>The Ethernet frame is too short or does not carry EtherType 0x88B5.</summary>
    NotAttestationFrame,
    /// <summary>The Ethernet frame has octets after the message that cannot be padding.</summary>
    TrailingBytes,
}

/// <summary>The only exception the codec throws for bad input: a frame or message that is not well formed.</summary>
public sealed class AttestationFormatException : Exception
{
    public AttestationFormatException(FormatError reason, string detail)
        : base($"{reason}: {detail}")
    {
        Reason = reason;
    }

    public FormatError Reason { get; }
}
