using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation.Tests;

public class PropertyTests
{
    private static readonly Gen<byte> AnyByte = ArbMap.Default.GeneratorFor<byte>();

    private static readonly Gen<ulong> AnySession = ArbMap.Default.GeneratorFor<ulong>();

    private static readonly Gen<ulong> Session = AnySession.Where(s => s != 0);

    private static Gen<byte[]> Bytes(int min, int max) =>
        Gen.Choose(min, max).SelectMany(n => Gen.ArrayOf(AnyByte, n));

    private static readonly Gen<MacAddress> CleanMac =
        Gen.ArrayOf(AnyByte, 6).Select(b =>
        {
            b[0] &= 0xFE;
            b[5] |= (byte)(b.All(x => x == 0) ? 1 : 0);
            return MacAddress.FromBytes(b);
        });

    private static readonly Gen<string> NodeName =
        Gen.NonEmptyListOf(Gen.Elements("a", "Z", "0", "-", ".", "_", " ", "é", "ß", "サ", "😀"))
            .Select(parts => string.Concat(parts))
            .Where(s => System.Text.Encoding.UTF8.GetByteCount(s) <= 64);

    private static readonly Gen<ReasonCode> Reason = Gen.Elements(Enum.GetValues<ReasonCode>());

    private static readonly Gen<AttestationMessage> Message = Gen.OneOf(
        from session in AnySession
        from name in NodeName
        from mac in CleanMac
        select (AttestationMessage)new Hello(session, name, mac),
        from session in Session
        from nonce in Bytes(32, 32)
        from selection in Bytes(4, 132)
        select (AttestationMessage)new Challenge(session, nonce, selection),
        from session in Session
        from attest in Bytes(1, 400)
        from signature in Bytes(1, 520)
        from pcrs in Gen.NonEmptyListOf(Bytes(1, 64)).Select(l => l.Take(12).Select(b => (ReadOnlyMemory<byte>)b).ToArray())
        from proof in Bytes(64, 64)
        // Only EVIDENCE that fits one frame is a valid message; the size limit has tests of its own.
        where Limits.EvidenceLength(attest.Length, signature.Length, pcrs.Select(p => p.Length)) <= Limits.MaxMessageLength
        select (AttestationMessage)new Evidence(session, attest, signature, pcrs, proof),
        from reason in Reason
        from session in ReasonCodes.KindOf(reason) == VerdictKind.Denied ? AnySession : Session
        from lease in Gen.Choose(1, 65535)
        from cause in Gen.Elements(Enum.GetValues<ReasonCode>().Where(c => ReasonCodes.KindOf(c) == VerdictKind.Denied).Select(c => (ReasonCode?)c).Append(null))
        select (AttestationMessage)new Verdict(
            session,
            ReasonCodes.KindOf(reason),
            reason,
            ReasonCodes.KindOf(reason) == VerdictKind.Admitted ? (ushort)lease : null,
            reason == ReasonCode.ReattestationFailed ? cause : null),
        from session in Session
        from proof in Bytes(64, 64)
        select (AttestationMessage)new Depart(session, proof));

    /// <summary>Decoding either yields a message or throws the one format exception; anything else fails the property.</summary>
    private static bool DecodesOrRefuses(byte[] bytes)
    {
        try
        {
            var message = AttestationCodec.Decode(bytes);
            return AttestationCodec.Decode(AttestationCodec.Encode(message)) == message;
        }
        catch (AttestationFormatException)
        {
            return true;
        }
    }

    private static bool ParsesOrRefuses(byte[] frame)
    {
        try
        {
            AttestationFrame.Parse(frame);
            return true;
        }
        catch (AttestationFormatException)
        {
            return true;
        }
    }

    [Property(MaxTest = 2000)]
    public Property Random_bytes_decode_or_are_refused() =>
        Prop.ForAll(Bytes(0, 200).ToArbitrary(), DecodesOrRefuses);

    [Property(MaxTest = 5000)]
    public Property Random_tlvs_behind_a_valid_header_decode_or_are_refused() =>
        Prop.ForAll(
            (from type in Gen.Choose(1, 5)
             from session in Gen.Frequency((1, Gen.Constant(0UL)), (3, AnySession))
             from tlvs in Gen.ListOf(
                 from tlvType in Gen.Frequency((8, Gen.Choose(1, 12)), (1, Gen.Choose(0, 0xFFFF)))
                 from value in Gen.Frequency((3, Bytes(0, 40)), (1, Bytes(0, 3)))
                 from lengthDelta in Gen.Frequency((10, Gen.Constant(0)), (1, Gen.Choose(-3, 3)))
                 select (tlvType, value, lengthDelta))
             select Build((byte)type, session, tlvs)).ToArbitrary(),
            DecodesOrRefuses);

    [Property(MaxTest = 3000)]
    public Property Mutated_valid_messages_decode_or_are_refused() =>
        Prop.ForAll(
            (from message in Message
             from flips in Gen.NonEmptyListOf(Gen.Two(Gen.Choose(0, 2000)))
             select Mutate(AttestationCodec.Encode(message), flips)).ToArbitrary(),
            DecodesOrRefuses);

    [Property(MaxTest = 2000)]
    public Property Random_and_mutated_frames_parse_or_are_refused() =>
        Prop.ForAll(
            Gen.OneOf(
                Bytes(0, 80),
                from message in Message
                from flips in Gen.ListOf(Gen.Two(Gen.Choose(0, 2000)))
                from cut in Gen.Choose(0, 1600)
                let frame = Mutate(AttestationFrame.Build(AttestationFrame.ControllerDestination, MacAddress.FromBytes([2, 0, 0, 0, 0, 1]), message), flips)
                select frame[..Math.Min(cut, frame.Length)]).ToArbitrary(),
            ParsesOrRefuses);

    [Property(MaxTest = 1000)]
    public Property Generated_messages_round_trip_through_the_codec_and_a_frame() =>
        Prop.ForAll(Message.ToArbitrary(), message =>
        {
            byte[] bytes;
            try
            {
                bytes = AttestationCodec.Encode(message);
            }
            catch (AttestationFormatException e) when (e.Reason == FormatError.MessageTooLarge)
            {
                return true;
            }

            var frame = AttestationFrame.Build(AttestationFrame.ControllerDestination, MacAddress.FromBytes([2, 0, 0, 0, 0, 1]), message);
            return bytes.Length <= 1500
                && AttestationCodec.Decode(bytes) == message
                && AttestationFrame.Parse(frame).Message == message
                && frame.Length == Math.Max(60, 14 + bytes.Length);
        });

    private static byte[] Build(byte type, ulong session, IEnumerable<(int Type, byte[] Value, int LengthDelta)> tlvs)
    {
        var bytes = new List<byte> { 0x53, 0x47, 0x01, type, 0, 0, 0, 0 };
        var sessionBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(sessionBytes, session);
        bytes.AddRange(sessionBytes);
        foreach (var (tlvType, value, delta) in tlvs)
        {
            var length = Math.Max(0, value.Length + delta);
            bytes.AddRange([(byte)(tlvType >> 8), (byte)tlvType, (byte)(length >> 8), (byte)length]);
            bytes.AddRange(value);
        }

        var result = bytes.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(4), (ushort)Math.Min(result.Length, 0xFFFF));
        return result;
    }

    private static byte[] Mutate(byte[] bytes, IEnumerable<(int Position, int Value)> flips)
    {
        var copy = bytes.ToArray();
        foreach (var (position, value) in flips)
        {
            copy[position % copy.Length] ^= (byte)(1 + (value % 255));
        }

        return copy;
    }
}
