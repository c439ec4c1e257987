using System.Buffers.Binary;
using SwitchGate.Ethernet;

namespace SwitchGate.Attestation.Tests;

/// <summary>The example messages of docs/protocol.md Appendix A, and a builder for hand-made (often broken) messages.</summary>
internal static class Samples
{
    public const ulong Session = 0x0123456789ABCDEF;

    public static readonly MacAddress CleanMac = MacAddress.Parse("02-00-00-00-01-01");

    public static readonly byte[] Nonce = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    /// <summary>TPML_PCR_SELECTION: count 1, TPM_ALG_SHA256, sizeofSelect 3, PCRs 0–23.</summary>
    public static readonly byte[] PcrSelection = Hex("00000001 000B 03 FFFFFF");

    public static Hello Hello => new(0, "bs1", CleanMac);

    public static Challenge Challenge => new(Session, Nonce, PcrSelection);

    public static Evidence Evidence => new(
        Session,
        Hex("FF544347"),
        Hex("0010"),
        [Enumerable.Repeat((byte)0x11, 32).ToArray()],
        Enumerable.Repeat((byte)0x22, 64).ToArray());

    public static Verdict Admitted => Verdict.Admit(Session, 30);

    public static Verdict ReattestationFailed => Verdict.Revoke(Session, ReasonCode.ReattestationFailed, ReasonCode.PcrValuesNotGolden);

    public static Depart Depart => new(Session, Enumerable.Range(0xA0, 64).Select(i => (byte)i).ToArray());

    public static Rotate Rotate => new(Session, 1, Enumerable.Range(0x30, 70).Select(i => (byte)i).ToArray(), Enumerable.Repeat((byte)0x44, 256).ToArray());

    public static Rotated Rotated => new(Session, 1, Enumerable.Repeat((byte)0x55, 64).ToArray());

    public static IEnumerable<AttestationMessage> All =>
        [Hello, Challenge, Evidence, Admitted, ReattestationFailed, Verdict.Deny(0, ReasonCode.NotEnrolled), Depart, Rotate, Rotated];

    public static TheoryData<string> AllNames() => new(All.Select((m, i) => $"{i}:{m.Type}"));

    public static AttestationMessage ByName(string name) => All.ElementAt(int.Parse(name.Split(':')[0]));

    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(Uri.IsHexDigit)));

    /// <summary>A message with a correct length field and whatever TLVs are given, in that order.</summary>
    public static byte[] Raw(MessageType type, ulong session, params (ushort Type, byte[] Value)[] tlvs)
    {
        var bytes = new List<byte>();
        bytes.AddRange(Hex("5347 02"));
        bytes.Add((byte)type);
        bytes.AddRange(new byte[4]);
        var sessionBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(sessionBytes, session);
        bytes.AddRange(sessionBytes);
        foreach (var (tlvType, value) in tlvs)
        {
            bytes.Add((byte)(tlvType >> 8));
            bytes.Add((byte)tlvType);
            bytes.Add((byte)(value.Length >> 8));
            bytes.Add((byte)value.Length);
            bytes.AddRange(value);
        }

        var result = bytes.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(result.AsSpan(4), (ushort)result.Length);
        return result;
    }

    public static (ushort, byte[]) Tlv(TlvType type, byte[] value) => ((ushort)type, value);

    public static (ushort, byte[]) Tlv(TlvType type, string hex) => ((ushort)type, Hex(hex));
}
