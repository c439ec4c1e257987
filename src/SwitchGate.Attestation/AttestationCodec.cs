using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation;

/// <summary>
/// Encodes and decodes SwitchGate attestation messages: the Ethernet payload after EtherType 0x88B5
/// (docs/protocol.md §3–§5). Pure code; all multi-octet integers are big-endian (network order).
/// </summary>
public static class AttestationCodec
{
    private static readonly TlvType[] HelloRequired = [TlvType.NodeName, TlvType.CleanMac];
    private static readonly TlvType[] ChallengeRequired = [TlvType.Nonce, TlvType.PcrSelection];
    private static readonly TlvType[] EvidenceRequired = [TlvType.Attest, TlvType.Signature, TlvType.PcrValues, TlvType.Proof];
    private static readonly TlvType[] VerdictRequired = [TlvType.Verdict, TlvType.Reason];
    private static readonly TlvType[] VerdictOptional = [TlvType.LeaseSeconds, TlvType.Cause];
    private static readonly TlvType[] DepartRequired = [TlvType.Proof];
    private static readonly TlvType[] RotateRequired = [TlvType.Generation, TlvType.Credential, TlvType.EncryptedSecret];
    private static readonly TlvType[] RotatedRequired = [TlvType.Generation, TlvType.Proof];

    /// <summary>Encodes a message; throws <see cref="AttestationFormatException"/> (<see cref="FormatError.MessageTooLarge"/>) if it exceeds 1500 octets.</summary>
    public static byte[] Encode(AttestationMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new ArrayBufferWriter<byte>(256);
        var header = buffer.GetSpan(Limits.HeaderLength)[..Limits.HeaderLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, Limits.Magic);
        header[2] = Limits.Version;
        header[3] = (byte)message.Type;
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(header[6..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(header[8..], message.SessionId);
        buffer.Advance(Limits.HeaderLength);

        switch (message)
        {
            case Hello hello:
                WriteTlv(buffer, TlvType.NodeName, Encoding.UTF8.GetBytes(hello.NodeName));
                WriteTlv(buffer, TlvType.CleanMac, hello.CleanMac.ToBytes());
                break;
            case Challenge challenge:
                WriteTlv(buffer, TlvType.Nonce, challenge.Nonce.Span);
                WriteTlv(buffer, TlvType.PcrSelection, challenge.PcrSelection.Span);
                break;
            case Evidence evidence:
                WriteTlv(buffer, TlvType.Attest, evidence.Attest.Span);
                WriteTlv(buffer, TlvType.Signature, evidence.Signature.Span);
                WriteTlv(buffer, TlvType.PcrValues, JoinPcrValues(evidence.PcrValues));
                WriteTlv(buffer, TlvType.Proof, evidence.Proof.Span);
                break;
            case Verdict verdict:
                WriteTlv(buffer, TlvType.Verdict, [(byte)verdict.Kind]);
                WriteTlv(buffer, TlvType.Reason, UInt16((ushort)verdict.Reason));
                if (verdict.LeaseSeconds is { } lease)
                {
                    WriteTlv(buffer, TlvType.LeaseSeconds, UInt16(lease));
                }

                if (verdict.Cause is { } cause)
                {
                    WriteTlv(buffer, TlvType.Cause, UInt16((ushort)cause));
                }

                break;
            case Depart depart:
                WriteTlv(buffer, TlvType.Proof, depart.Proof.Span);
                break;
            case Rotate rotate:
                WriteTlv(buffer, TlvType.Generation, UInt32(rotate.Generation));
                WriteTlv(buffer, TlvType.Credential, rotate.Credential.Span);
                WriteTlv(buffer, TlvType.EncryptedSecret, rotate.EncryptedSecret.Span);
                break;
            case Rotated rotated:
                WriteTlv(buffer, TlvType.Generation, UInt32(rotated.Generation));
                WriteTlv(buffer, TlvType.Proof, rotated.Proof.Span);
                break;
            default:
                throw new ArgumentException($"unknown message class {message.GetType()}", nameof(message));
        }

        if (buffer.WrittenCount > Limits.MaxMessageLength)
        {
            throw new AttestationFormatException(
                FormatError.MessageTooLarge,
                $"{message.Type} would be {buffer.WrittenCount} octets; one frame carries at most {Limits.MaxMessageLength}");
        }

        var bytes = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(4), (ushort)bytes.Length);
        return bytes;
    }

    /// <summary>Encodes a message into <paramref name="destination"/> and returns the number of octets written.</summary>
    public static int Encode(AttestationMessage message, Span<byte> destination)
    {
        var bytes = Encode(message);
        if (bytes.Length > destination.Length)
        {
            throw new ArgumentException($"{bytes.Length} octets needed, {destination.Length} given", nameof(destination));
        }

        bytes.CopyTo(destination);
        return bytes.Length;
    }

    /// <summary>
    /// Decodes exactly one message occupying all of <paramref name="message"/>. Any deviation from
    /// docs/protocol.md throws <see cref="AttestationFormatException"/>, and nothing else is thrown.
    /// </summary>
    public static AttestationMessage Decode(ReadOnlySpan<byte> message)
    {
        var length = ReadHeader(message);
        if (length != message.Length)
        {
            throw new AttestationFormatException(FormatError.BadLength, $"header says {length} octets, {message.Length} present");
        }

        var type = (MessageType)message[3];
        var sessionId = BinaryPrimitives.ReadUInt64BigEndian(message[8..]);
        if (sessionId == 0 && type is MessageType.Challenge or MessageType.Evidence or MessageType.Depart or MessageType.Rotate or MessageType.Rotated)
        {
            throw new AttestationFormatException(FormatError.BadSessionId, $"{type} needs a session id other than 0");
        }

        var (required, optional) = Allowed(type);
        var tlvs = ReadTlvs(message, required, optional);
        var body = message[Limits.HeaderLength..];

        return type switch
        {
            MessageType.Hello => new Hello(
                sessionId,
                ReadNodeName(tlvs.Value(body, TlvType.NodeName)),
                ReadCleanMac(tlvs.Value(body, TlvType.CleanMac))),
            MessageType.Challenge => new Challenge(
                sessionId, tlvs.Value(body, TlvType.Nonce), tlvs.Value(body, TlvType.PcrSelection)),
            MessageType.Evidence => new Evidence(
                sessionId,
                tlvs.Value(body, TlvType.Attest),
                tlvs.Value(body, TlvType.Signature),
                SplitPcrValues(tlvs.Value(body, TlvType.PcrValues)),
                tlvs.Value(body, TlvType.Proof)),
            MessageType.Verdict => ReadVerdict(sessionId, body, tlvs),
            MessageType.Rotate => new Rotate(
                sessionId,
                ReadGeneration(tlvs.Value(body, TlvType.Generation)),
                tlvs.Value(body, TlvType.Credential),
                tlvs.Value(body, TlvType.EncryptedSecret)),
            MessageType.Rotated => new Rotated(sessionId, ReadGeneration(tlvs.Value(body, TlvType.Generation)), tlvs.Value(body, TlvType.Proof)),
            _ => new Depart(sessionId, tlvs.Value(body, TlvType.Proof)),
        };
    }

    /// <summary>
    /// Checks the fixed header of a message that starts <paramref name="payload"/> (which may be followed
    /// by Ethernet padding) and returns the message length from it.
    /// </summary>
    public static int ReadHeader(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < Limits.HeaderLength)
        {
            throw new AttestationFormatException(FormatError.TooShort, $"{payload.Length} octets, the header alone is {Limits.HeaderLength}");
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(payload) != Limits.Magic)
        {
            throw new AttestationFormatException(FormatError.BadMagic, $"magic 0x{BinaryPrimitives.ReadUInt16BigEndian(payload):X4}");
        }

        if (payload[2] != Limits.Version)
        {
            throw new AttestationFormatException(FormatError.UnsupportedVersion, $"version {payload[2]}, only {Limits.Version} is known");
        }

        if (!Enum.IsDefined((MessageType)payload[3]))
        {
            throw new AttestationFormatException(FormatError.UnknownMessageType, $"type 0x{payload[3]:X2}");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(payload[4..]);
        if (length is < Limits.HeaderLength or > Limits.MaxMessageLength || length > payload.Length)
        {
            throw new AttestationFormatException(FormatError.BadLength, $"length {length} with {payload.Length} octets present");
        }

        if (BinaryPrimitives.ReadUInt16BigEndian(payload[6..]) != 0)
        {
            throw new AttestationFormatException(FormatError.ReservedFlags, $"flags 0x{BinaryPrimitives.ReadUInt16BigEndian(payload[6..]):X4}");
        }

        return length;
    }

    private static (TlvType[] Required, TlvType[] Optional) Allowed(MessageType type) => type switch
    {
        MessageType.Hello => (HelloRequired, []),
        MessageType.Challenge => (ChallengeRequired, []),
        MessageType.Evidence => (EvidenceRequired, []),
        MessageType.Verdict => (VerdictRequired, VerdictOptional),
        MessageType.Rotate => (RotateRequired, []),
        MessageType.Rotated => (RotatedRequired, []),
        _ => (DepartRequired, []),
    };

    private static TlvTable ReadTlvs(ReadOnlySpan<byte> message, TlvType[] required, TlvType[] optional)
    {
        var table = new TlvTable();
        var seenUnknown = new HashSet<ushort>();
        var offset = Limits.HeaderLength;
        while (offset < message.Length)
        {
            if (message.Length - offset < Limits.TlvHeaderLength)
            {
                throw new AttestationFormatException(FormatError.TruncatedTlv, $"{message.Length - offset} octets left at offset {offset}, a TLV header is 4");
            }

            var rawType = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]);
            var valueOffset = offset + Limits.TlvHeaderLength;
            if (length > message.Length - valueOffset)
            {
                throw new AttestationFormatException(FormatError.TruncatedTlv, $"TLV 0x{rawType:X4} at offset {offset} claims {length} octets, {message.Length - valueOffset} left");
            }

            var type = (TlvType)rawType;
            if (Enum.IsDefined(type))
            {
                if (!required.Contains(type) && !optional.Contains(type))
                {
                    throw new AttestationFormatException(FormatError.UnexpectedTlv, $"{type} at offset {offset} is not allowed in this message");
                }

                if (table.Has(type))
                {
                    throw new AttestationFormatException(FormatError.DuplicateTlv, $"second {type} at offset {offset}");
                }

                var (min, max) = Limits.ValueLength(type);
                if (length < min || length > max)
                {
                    throw new AttestationFormatException(FormatError.BadTlvLength, $"{type} at offset {offset} has {length} octets, allowed {min}..{max}");
                }

                table.Set(type, valueOffset - Limits.HeaderLength, length);
            }
            else if ((rawType & 0x8000) == 0)
            {
                throw new AttestationFormatException(FormatError.UnknownCriticalTlv, $"unknown TLV 0x{rawType:X4} at offset {offset} without the skip-if-unknown bit");
            }
            else if (!seenUnknown.Add(rawType))
            {
                throw new AttestationFormatException(FormatError.DuplicateTlv, $"second TLV 0x{rawType:X4} at offset {offset}");
            }

            offset = valueOffset + length;
        }

        foreach (var type in required)
        {
            if (!table.Has(type))
            {
                throw new AttestationFormatException(FormatError.MissingTlv, $"{type} is required");
            }
        }

        return table;
    }

    private static string ReadNodeName(ReadOnlySpan<byte> value)
    {
        string name;
        try
        {
            name = Validate.StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            throw new AttestationFormatException(FormatError.BadTlvValue, "NodeName is not valid UTF-8");
        }

        if (name.Any(char.IsControl))
        {
            throw new AttestationFormatException(FormatError.BadTlvValue, "NodeName contains a control character");
        }

        return name;
    }

    private static MacAddress ReadCleanMac(ReadOnlySpan<byte> value) =>
        Validate.IsValidCleanMac(value)
            ? MacAddress.FromBytes(value)
            : throw new AttestationFormatException(FormatError.BadTlvValue, "CleanMac must be unicast and not zero");

    private static List<ReadOnlyMemory<byte>> SplitPcrValues(ReadOnlySpan<byte> value)
    {
        var values = new List<ReadOnlyMemory<byte>>();
        var offset = 0;
        while (offset < value.Length)
        {
            int size = value[offset];
            if (size is < 1 or > Limits.MaxPcrDigestLength || size > value.Length - offset - 1)
            {
                throw new AttestationFormatException(FormatError.BadTlvValue, $"PcrValues entry {values.Count} has size {size} with {value.Length - offset - 1} octets left");
            }

            values.Add(value.Slice(offset + 1, size).ToArray());
            offset += 1 + size;
        }

        return values;
    }

    private static byte[] JoinPcrValues(IReadOnlyList<ReadOnlyMemory<byte>> values)
    {
        var joined = new byte[values.Sum(v => 1 + v.Length)];
        var offset = 0;
        foreach (var value in values)
        {
            joined[offset] = (byte)value.Length;
            value.Span.CopyTo(joined.AsSpan(offset + 1));
            offset += 1 + value.Length;
        }

        return joined;
    }

    private static Verdict ReadVerdict(ulong sessionId, ReadOnlySpan<byte> body, TlvTable tlvs)
    {
        var kind = (VerdictKind)tlvs.Value(body, TlvType.Verdict)[0];
        if (!Enum.IsDefined(kind))
        {
            throw new AttestationFormatException(FormatError.BadTlvValue, $"verdict {(byte)kind}");
        }

        var reason = ReadReason(tlvs.Value(body, TlvType.Reason), TlvType.Reason);
        if (ReasonCodes.KindOf(reason) != kind)
        {
            throw new AttestationFormatException(FormatError.BadTlvValue, $"reason {reason} does not go with verdict {kind}");
        }

        if (sessionId == 0 && kind != VerdictKind.Denied)
        {
            throw new AttestationFormatException(FormatError.BadSessionId, $"a {kind} verdict needs a session id other than 0");
        }

        ushort? lease = null;
        if (tlvs.Has(TlvType.LeaseSeconds))
        {
            if (kind != VerdictKind.Admitted)
            {
                throw new AttestationFormatException(FormatError.UnexpectedTlv, $"LeaseSeconds in a {kind} verdict");
            }

            lease = BinaryPrimitives.ReadUInt16BigEndian(tlvs.Value(body, TlvType.LeaseSeconds));
            if (lease == 0)
            {
                throw new AttestationFormatException(FormatError.BadTlvValue, "LeaseSeconds 0");
            }
        }
        else if (kind == VerdictKind.Admitted)
        {
            throw new AttestationFormatException(FormatError.MissingTlv, "LeaseSeconds is required in an Admitted verdict");
        }

        ReasonCode? cause = null;
        if (tlvs.Has(TlvType.Cause))
        {
            if (reason != ReasonCode.ReattestationFailed)
            {
                throw new AttestationFormatException(FormatError.UnexpectedTlv, $"Cause with reason {reason}");
            }

            cause = ReadReason(tlvs.Value(body, TlvType.Cause), TlvType.Cause);
            if (ReasonCodes.KindOf(cause.Value) != VerdictKind.Denied)
            {
                throw new AttestationFormatException(FormatError.BadTlvValue, $"Cause {cause} is not a denial code");
            }
        }

        return new Verdict(sessionId, kind, reason, lease, cause);
    }

    private static ReasonCode ReadReason(ReadOnlySpan<byte> value, TlvType type)
    {
        var code = (ReasonCode)BinaryPrimitives.ReadUInt16BigEndian(value);
        return ReasonCodes.IsDefined(code)
            ? code
            : throw new AttestationFormatException(FormatError.BadTlvValue, $"{type} 0x{(ushort)code:X4} is not a registered reason code");
    }

    private static uint ReadGeneration(ReadOnlySpan<byte> value)
    {
        var generation = BinaryPrimitives.ReadUInt32BigEndian(value);
        return generation != 0
            ? generation
            : throw new AttestationFormatException(FormatError.BadTlvValue, "GENERATION 0 (the enrolled secret is never rotated to)");
    }

    private static byte[] UInt32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] UInt16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    private static void WriteTlv(ArrayBufferWriter<byte> buffer, TlvType type, ReadOnlySpan<byte> value)
    {
        var span = buffer.GetSpan(Limits.TlvHeaderLength + value.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span, (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)value.Length);
        value.CopyTo(span[Limits.TlvHeaderLength..]);
        buffer.Advance(Limits.TlvHeaderLength + value.Length);
    }

    /// <summary>Where each registered TLV's value lies, relative to the end of the header.</summary>
    private sealed class TlvTable
    {
        private readonly (int Offset, int Length)?[] _entries = new (int, int)?[(int)TlvType.EncryptedSecret + 1];

        public bool Has(TlvType type) => _entries[(int)type].HasValue;

        public void Set(TlvType type, int offset, int length) => _entries[(int)type] = (offset, length);

        public ReadOnlySpan<byte> Value(ReadOnlySpan<byte> body, TlvType type)
        {
            var (offset, length) = _entries[(int)type]!.Value;
            return body.Slice(offset, length);
        }
    }
}
