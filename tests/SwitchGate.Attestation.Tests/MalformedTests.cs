using System.Buffers.Binary;
using SwitchGate.Ethernet;
using static SwitchGate.Attestation.Tests.Samples;

namespace SwitchGate.Attestation.Tests;

public class MalformedTests
{
    private static readonly byte[] Proof64 = new byte[64];

    private static FormatError DecodeError(byte[] message) =>
        Assert.Throws<AttestationFormatException>(() => AttestationCodec.Decode(message)).Reason;

    [Theory]
    [MemberData(nameof(AllNames), MemberType = typeof(Samples))]
    public void Every_truncation_of_a_message_is_refused(string name)
    {
        var bytes = AttestationCodec.Encode(ByName(name));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<AttestationFormatException>(() => AttestationCodec.Decode(bytes.AsSpan(0, length)));
        }
    }

    [Theory]
    [MemberData(nameof(AllNames), MemberType = typeof(Samples))]
    public void Every_truncation_of_a_frame_into_the_message_is_refused_and_padding_may_be_cut(string name)
    {
        var message = ByName(name);
        var frame = AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, message);
        var messageEnd = 14 + AttestationCodec.Encode(message).Length;
        for (var length = 0; length < frame.Length; length++)
        {
            if (length < messageEnd)
            {
                Assert.Throws<AttestationFormatException>(() => AttestationFrame.Parse(frame.AsSpan(0, length)));
            }
            else
            {
                Assert.Equal(message, AttestationFrame.Parse(frame.AsSpan(0, length)).Message);
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllNames), MemberType = typeof(Samples))]
    public void A_length_field_that_disagrees_with_the_octets_is_refused(string name)
    {
        var bytes = AttestationCodec.Encode(ByName(name));
        foreach (var wrong in new[] { 0, 15, 16, bytes.Length - 1, bytes.Length + 1, 1500, 1501, 0xFFFF })
        {
            var copy = bytes.ToArray();
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(4), (ushort)wrong);
            Assert.Equal(FormatError.BadLength, DecodeError(copy));
        }
    }

    [Fact]
    public void A_message_longer_than_1500_octets_is_refused_even_when_its_length_field_matches()
    {
        var huge = Raw(MessageType.Depart, Session, Tlv(TlvType.Proof, Proof64), (0x8001, new byte[1500 - 16 - 68 - 4 + 1]));
        Assert.Equal(1501, huge.Length);
        Assert.Equal(FormatError.BadLength, DecodeError(huge));
    }

    [Fact]
    public void A_message_of_exactly_1500_octets_is_accepted()
    {
        var full = Raw(MessageType.Depart, Session, Tlv(TlvType.Proof, Proof64), (0x8001, new byte[1500 - 16 - 68 - 4]));
        Assert.Equal(1500, full.Length);
        Assert.IsType<Depart>(AttestationCodec.Decode(full));
    }

    [Theory]
    [InlineData(0, FormatError.UnsupportedVersion)]
    [InlineData(1, FormatError.UnsupportedVersion)]
    [InlineData(3, FormatError.UnsupportedVersion)]
    [InlineData(0xFF, FormatError.UnsupportedVersion)]
    public void Other_versions_are_refused(byte version, FormatError expected)
    {
        var bytes = AttestationCodec.Encode(Samples.Hello);
        bytes[2] = version;
        Assert.Equal(expected, DecodeError(bytes));
    }

    [Fact]
    public void Bad_magic_unknown_type_and_reserved_flags_are_refused()
    {
        var bytes = AttestationCodec.Encode(Samples.Hello);
        Assert.Equal(FormatError.BadMagic, DecodeError([.. bytes[..1], 0x48, .. bytes[2..]]));
        foreach (var type in new byte[] { 0, 8, 0x80, 0xFF })
        {
            Assert.Equal(FormatError.UnknownMessageType, DecodeError([.. bytes[..3], type, .. bytes[4..]]));
        }

        Assert.Equal(FormatError.ReservedFlags, DecodeError([.. bytes[..7], 0x01, .. bytes[8..]]));
        Assert.Equal(FormatError.ReservedFlags, DecodeError([.. bytes[..6], 0x80, .. bytes[7..]]));
    }

    [Fact]
    public void Duplicate_tlvs_are_refused_even_with_equal_values()
    {
        var mac = Tlv(TlvType.CleanMac, "020000000101");
        var name = Tlv(TlvType.NodeName, "627331");
        Assert.Equal(FormatError.DuplicateTlv, DecodeError(Raw(MessageType.Hello, 0, name, mac, mac)));
        Assert.Equal(FormatError.DuplicateTlv, DecodeError(Raw(MessageType.Hello, 0, name, mac, Tlv(TlvType.NodeName, "627332"))));
        Assert.Equal(FormatError.DuplicateTlv, DecodeError(Raw(MessageType.Hello, 0, name, mac, (0x9000, [1]), (0x9000, [1]))));
    }

    [Fact]
    public void Each_missing_required_tlv_is_refused_and_the_optional_cause_may_be_left_out()
    {
        foreach (var message in All)
        {
            var tlvs = Tlvs(AttestationCodec.Encode(message));
            for (var skip = 0; skip < tlvs.Count; skip++)
            {
                var without = tlvs.Where((_, i) => i != skip).ToArray();
                var bytes = Raw(message.Type, message.SessionId, without);
                if ((TlvType)tlvs[skip].Type == TlvType.Cause)
                {
                    Assert.IsType<Verdict>(AttestationCodec.Decode(bytes));
                }
                else
                {
                    Assert.Equal(FormatError.MissingTlv, DecodeError(bytes));
                }
            }
        }
    }

    [Fact]
    public void Tlvs_are_accepted_in_any_order()
    {
        foreach (var message in All)
        {
            var tlvs = Tlvs(AttestationCodec.Encode(message));
            tlvs.Reverse();
            Assert.Equal(message, AttestationCodec.Decode(Raw(message.Type, message.SessionId, [.. tlvs])));
        }
    }

    [Fact]
    public void Unknown_tlvs_are_skipped_only_with_the_skip_if_unknown_bit()
    {
        var name = Tlv(TlvType.NodeName, "627331");
        var mac = Tlv(TlvType.CleanMac, "020000000101");
        Assert.Equal(Samples.Hello, AttestationCodec.Decode(Raw(MessageType.Hello, 0, (0x8000, []), name, (0xFFFF, [1, 2, 3]), mac)));
        Assert.Equal(FormatError.UnknownCriticalTlv, DecodeError(Raw(MessageType.Hello, 0, name, mac, (0x0010, [1]))));
        Assert.Equal(FormatError.UnknownCriticalTlv, DecodeError(Raw(MessageType.Hello, 0, name, mac, (0x0000, []))));
        Assert.Equal(FormatError.UnknownCriticalTlv, DecodeError(Raw(MessageType.Hello, 0, name, mac, (0x7FFF, []))));
    }

    [Fact]
    public void A_known_tlv_in_the_wrong_message_is_refused()
    {
        var name = Tlv(TlvType.NodeName, "627331");
        var mac = Tlv(TlvType.CleanMac, "020000000101");
        Assert.Equal(FormatError.UnexpectedTlv, DecodeError(Raw(MessageType.Hello, 0, name, mac, Tlv(TlvType.Nonce, Nonce))));
        Assert.Equal(FormatError.UnexpectedTlv, DecodeError(Raw(MessageType.Depart, Session, Tlv(TlvType.Proof, Proof64), mac)));
        Assert.Equal(FormatError.UnexpectedTlv, DecodeError(Raw(MessageType.Verdict, Session,
            Tlv(TlvType.Verdict, "02"), Tlv(TlvType.Reason, "0109"), Tlv(TlvType.LeaseSeconds, "001E"))));
        Assert.Equal(FormatError.UnexpectedTlv, DecodeError(Raw(MessageType.Verdict, Session,
            Tlv(TlvType.Verdict, "03"), Tlv(TlvType.Reason, "0201"), Tlv(TlvType.Cause, "0109"))));
    }

    public static TheoryData<TlvType, int> WrongLengths() => new()
    {
        { TlvType.NodeName, 0 }, { TlvType.NodeName, 65 },
        { TlvType.CleanMac, 5 }, { TlvType.CleanMac, 7 },
        { TlvType.Nonce, 31 }, { TlvType.Nonce, 33 }, { TlvType.Nonce, 0 },
        { TlvType.PcrSelection, 3 }, { TlvType.PcrSelection, 133 },
        { TlvType.Attest, 0 }, { TlvType.Attest, 1025 },
        { TlvType.Signature, 0 }, { TlvType.Signature, 1025 },
        { TlvType.PcrValues, 1 },
        { TlvType.Proof, 32 }, { TlvType.Proof, 63 }, { TlvType.Proof, 65 },
        { TlvType.Verdict, 0 }, { TlvType.Verdict, 2 },
        { TlvType.Reason, 1 }, { TlvType.Reason, 3 },
        { TlvType.LeaseSeconds, 1 }, { TlvType.LeaseSeconds, 4 },
        { TlvType.Cause, 1 }, { TlvType.Cause, 3 },
    };

    [Theory]
    [MemberData(nameof(WrongLengths))]
    public void A_tlv_length_outside_its_range_is_refused(TlvType type, int length)
    {
        var message = All.First(m => Tlvs(AttestationCodec.Encode(m)).Any(t => t.Type == (ushort)type));
        var tlvs = Tlvs(AttestationCodec.Encode(message))
            .Select(t => t.Type == (ushort)type ? (t.Type, new byte[length]) : t).ToArray();
        Assert.Equal(FormatError.BadTlvLength, DecodeError(Raw(message.Type, message.SessionId, tlvs)));
    }

    [Fact]
    public void A_tlv_running_past_the_end_is_refused()
    {
        var bytes = AttestationCodec.Encode(Samples.Depart);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(18), 65);
        Assert.Equal(FormatError.TruncatedTlv, DecodeError(bytes));

        var stray = Raw(MessageType.Depart, Session, Tlv(TlvType.Proof, Proof64));
        byte[] withStray = [.. stray, 0x00, 0x08, 0x00];
        BinaryPrimitives.WriteUInt16BigEndian(withStray.AsSpan(4), (ushort)withStray.Length);
        Assert.Equal(FormatError.TruncatedTlv, DecodeError(withStray));
    }

    [Fact]
    public void Session_zero_is_refused_where_a_session_is_needed()
    {
        Assert.Equal(FormatError.BadSessionId, DecodeError(Raw(MessageType.Challenge, 0, Tlv(TlvType.Nonce, Nonce), Tlv(TlvType.PcrSelection, PcrSelection))));
        Assert.Equal(FormatError.BadSessionId, DecodeError(Raw(MessageType.Depart, 0, Tlv(TlvType.Proof, Proof64))));
        Assert.Equal(FormatError.BadSessionId, DecodeError(Raw(MessageType.Verdict, 0,
            Tlv(TlvType.Verdict, "01"), Tlv(TlvType.Reason, "0000"), Tlv(TlvType.LeaseSeconds, "001E"))));
        Assert.Equal(FormatError.BadSessionId, DecodeError(Raw(MessageType.Verdict, 0, Tlv(TlvType.Verdict, "03"), Tlv(TlvType.Reason, "0201"))));
        var evidence = Tlvs(AttestationCodec.Encode(Samples.Evidence)).ToArray();
        Assert.Equal(FormatError.BadSessionId, DecodeError(Raw(MessageType.Evidence, 0, evidence)));
    }

    [Theory]
    [InlineData("00", "0000", null, null)]
    [InlineData("04", "0000", null, null)]
    [InlineData("01", "0109", "001E", null)]
    [InlineData("02", "0000", null, null)]
    [InlineData("03", "0109", null, null)]
    [InlineData("02", "0113", null, null)]
    [InlineData("02", "0300", null, null)]
    [InlineData("01", "0000", "0000", null)]
    [InlineData("03", "0205", null, "0201")]
    [InlineData("03", "0205", null, "0000")]
    [InlineData("03", "0205", null, "01FF")]
    public void Inconsistent_or_unregistered_verdict_values_are_refused(string verdict, string reason, string? lease, string? cause)
    {
        var tlvs = new List<(ushort, byte[])> { Tlv(TlvType.Verdict, verdict), Tlv(TlvType.Reason, reason) };
        if (lease is not null)
        {
            tlvs.Add(Tlv(TlvType.LeaseSeconds, lease));
        }

        if (cause is not null)
        {
            tlvs.Add(Tlv(TlvType.Cause, cause));
        }

        Assert.Equal(FormatError.BadTlvValue, DecodeError(Raw(MessageType.Verdict, Session, [.. tlvs])));
    }

    [Fact]
    public void An_admission_without_a_lease_is_refused()
    {
        Assert.Equal(FormatError.MissingTlv, DecodeError(Raw(MessageType.Verdict, Session, Tlv(TlvType.Verdict, "01"), Tlv(TlvType.Reason, "0001"))));
    }

    [Theory]
    [InlineData("010000000101")]
    [InlineData("FFFFFFFFFFFF")]
    [InlineData("000000000000")]
    public void A_clean_mac_that_is_multicast_or_zero_is_refused(string mac)
    {
        Assert.Equal(FormatError.BadTlvValue, DecodeError(Raw(MessageType.Hello, 0, Tlv(TlvType.NodeName, "627331"), Tlv(TlvType.CleanMac, mac))));
    }

    [Theory]
    [InlineData("FF")]
    [InlineData("C328")]
    [InlineData("ED A0 80")]
    [InlineData("62 00 31")]
    [InlineData("62 0A")]
    [InlineData("C2 85")]
    [InlineData("7F")]
    public void A_node_name_that_is_not_clean_utf8_text_is_refused(string name)
    {
        Assert.Equal(FormatError.BadTlvValue, DecodeError(Raw(MessageType.Hello, 0, Tlv(TlvType.NodeName, name), Tlv(TlvType.CleanMac, "020000000101"))));
    }

    [Fact]
    public void A_non_ascii_node_name_round_trips()
    {
        var hello = new Hello(7, "böot-サーバ", CleanMac);
        Assert.Equal(hello, AttestationCodec.Decode(AttestationCodec.Encode(hello)));
    }

    [Theory]
    [InlineData("00")]
    [InlineData("41 00")]
    [InlineData("02 AA")]
    [InlineData("01 AA 02 BB")]
    public void Pcr_values_with_bad_entry_sizes_are_refused(string value)
    {
        var tlvs = Tlvs(AttestationCodec.Encode(Samples.Evidence))
            .Select(t => t.Type == (ushort)TlvType.PcrValues ? (t.Type, Hex(value)) : t).ToArray();
        var error = DecodeError(Raw(MessageType.Evidence, Session, tlvs));
        Assert.True(error is FormatError.BadTlvValue or FormatError.BadTlvLength, error.ToString());
    }

    [Fact]
    public void The_encoder_refuses_a_message_that_does_not_fit_one_frame()
    {
        var evidence = new Evidence(Session, new byte[600], new byte[518], Enumerable.Repeat(new byte[32], 24).Select(b => (ReadOnlyMemory<byte>)b), Proof64);
        var error = Assert.Throws<AttestationFormatException>(() => AttestationCodec.Encode(evidence));
        Assert.Equal(FormatError.MessageTooLarge, error.Reason);
        Assert.Throws<AttestationFormatException>(() => AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, evidence));
    }

    [Fact]
    public void Frames_with_another_ethertype_or_too_short_for_ethernet_are_refused()
    {
        var frame = AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, Samples.Hello);
        Assert.Equal(FormatError.NotAttestationFrame, Assert.Throws<AttestationFormatException>(() => AttestationFrame.Parse(frame.AsSpan(0, 13))).Reason);
        var vlan = frame.ToArray();
        vlan[12] = 0x81;
        vlan[13] = 0x00;
        Assert.Equal(FormatError.NotAttestationFrame, Assert.Throws<AttestationFormatException>(() => AttestationFrame.Parse(vlan)).Reason);
    }

    [Fact]
    public void Octets_after_the_message_are_only_accepted_as_padding_of_a_minimum_frame()
    {
        var small = AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, Samples.Hello);
        Assert.Equal(Samples.Hello, AttestationFrame.Parse(small).Message);
        Assert.Equal(FormatError.TrailingBytes, Assert.Throws<AttestationFormatException>(() => AttestationFrame.Parse([.. small, 0])).Reason);

        var big = AttestationFrame.Build(AttestationFrame.ControllerDestination, CleanMac, Samples.Evidence);
        Assert.Equal(FormatError.TrailingBytes, Assert.Throws<AttestationFormatException>(() => AttestationFrame.Parse([.. big, 0, 0, 0, 0])).Reason);
    }

    [Fact]
    public void Parse_returns_the_addresses()
    {
        var frame = AttestationFrame.Build(CleanMac, AttestationFrame.DefaultControllerSource, Samples.Admitted);
        var content = AttestationFrame.Parse(frame);
        Assert.Equal(CleanMac, content.Destination);
        Assert.Equal(MacAddress.Parse("02-53-47-00-00-01"), content.Source);
        Assert.Equal(Samples.Admitted, content.Message);
    }

    [Fact]
    public void Constructors_refuse_values_the_wire_cannot_carry()
    {
        Assert.Throws<ArgumentException>(() => new Challenge(0, Nonce, PcrSelection));
        Assert.Throws<ArgumentException>(() => new Challenge(1, Nonce.AsSpan(..31), PcrSelection));
        Assert.Throws<ArgumentException>(() => new Hello(0, "", CleanMac));
        Assert.Throws<ArgumentException>(() => new Hello(0, new string('a', 65), CleanMac));
        Assert.Throws<ArgumentException>(() => new Hello(0, "a\nb", CleanMac));
        Assert.Throws<ArgumentException>(() => new Hello(0, "\ud800", CleanMac));
        Assert.Throws<ArgumentException>(() => new Hello(0, "bs1", MacAddress.Parse("01-00-5E-00-00-01")));
        Assert.Throws<ArgumentException>(() => new Evidence(1, [1], [1], [], Proof64));
        Assert.Throws<ArgumentException>(() => new Evidence(1, [1], [1], [new byte[65]], Proof64));
        Assert.Throws<ArgumentException>(() => new Verdict(1, VerdictKind.Admitted, ReasonCode.Admitted));
        Assert.Throws<ArgumentException>(() => new Verdict(1, VerdictKind.Denied, ReasonCode.Admitted));
        Assert.Throws<ArgumentException>(() => Verdict.Revoke(1, ReasonCode.Departed, ReasonCode.BadSignature));
        Assert.Throws<ArgumentException>(() => Verdict.Revoke(0, ReasonCode.Departed));
        Assert.Throws<ArgumentException>(() => Verdict.Admit(1, 0));
    }

    private static List<(ushort Type, byte[] Value)> Tlvs(byte[] message)
    {
        var tlvs = new List<(ushort, byte[])>();
        for (var offset = 16; offset < message.Length;)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset));
            var length = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset + 2));
            tlvs.Add((type, message[(offset + 4)..(offset + 4 + length)]));
            offset += 4 + length;
        }

        return tlvs;
    }
}
