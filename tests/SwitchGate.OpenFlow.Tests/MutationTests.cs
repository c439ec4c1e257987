using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow.Tests;

/// <summary>
/// Hostile input: declared inner lengths that lie, junk in padding, and every single-byte change of every corpus
/// message. The decoder must either reject the bytes with <see cref="OpenFlowFormatException"/> or accept them such
/// that re-encoding gives the very same bytes (so it never silently "repairs" or skips anything).
/// </summary>
public class MutationTests
{
    public static TheoryData<string> Files => Corpus.All();

    private static byte[] Hex(string hex) => GoldenTests.Hex(hex);

    internal static void AssertRejectedOrExact(byte[] bytes, string what)
    {
        OfpMessage decoded;
        try
        {
            decoded = OfpCodec.Decode(bytes);
        }
        catch (OpenFlowFormatException)
        {
            return;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of OpenFlowFormatException: {e.Message}");
            return;
        }

        var again = OfpCodec.Encode(decoded, OfpEncodeOptions.Verbatim);
        Assert.True(bytes.AsSpan().SequenceEqual(again), $"{what}: accepted but re-encoded differently");
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_single_byte_change_is_rejected_or_exact(string name)
    {
        var original = Corpus.Packet(name);
        byte[] replacements = [0x00, 0x01, 0x07, 0x08, 0x7f, 0x80, 0xff];
        for (var i = 0; i < original.Length; i++)
        {
            foreach (var value in replacements.Append((byte)(original[i] + 1)).Append((byte)(original[i] - 1)))
            {
                if (value == original[i])
                {
                    continue;
                }

                var mutated = (byte[])original.Clone();
                mutated[i] = value;
                AssertRejectedOrExact(mutated, $"{name} byte {i} = 0x{value:x2}");
            }
        }
    }

    // A FLOW_MOD with match {in_port=1, eth_type=0x0800}, then apply_actions(output:2); offsets below refer to it.
    private static byte[] FlowMod() => OfpCodec.Encode(new FlowMod
    {
        Match = Match.Of(Oxm.InPort(1), Oxm.EthType(0x0800)),
        Instructions = [new InstructionApplyActions([new ActionOutput(2)])],
    });

    private const int MatchOffset = 48;      // ofp_match starts after ofp_header (8) and the 40 fixed bytes
    private const int InstructionOffset = 48 + 24; // match length 4+8+6 = 18, padded to 24
    private const int ActionOffset = InstructionOffset + 8;

    private static byte[] WithU16(byte[] bytes, int offset, ushort value)
    {
        var copy = (byte[])bytes.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(offset), value);
        return copy;
    }

    [Fact]
    public void Layout_assumed_by_these_tests()
    {
        var bytes = FlowMod();
        Assert.Equal(18, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(MatchOffset + 2)));
        Assert.Equal((ushort)InstructionType.ApplyActions, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(InstructionOffset)));
        Assert.Equal(24, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(InstructionOffset + 2)));
        Assert.Equal(16, System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(bytes.AsSpan(ActionOffset + 2)));
        Assert.Equal(ActionOffset + 16, bytes.Length);
    }

    [Theory]
    [InlineData(0, "less than the 4-byte ofp_match header")]
    [InlineData(3, "less than the 4-byte ofp_match header")]
    [InlineData(17, "OXM")]
    [InlineData(19, "")]
    [InlineData(26, "")]
    [InlineData(1000, "exceeds")]
    public void Lying_match_length_is_rejected(ushort length, string reason)
    {
        var e = Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(FlowMod(), MatchOffset + 2, length)));
        Assert.Contains(reason, e.Reason);
        Assert.StartsWith("OFPT_FLOW_MOD", e.Reason);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(0xff)]
    public void Lying_oxm_length_is_rejected(byte length)
    {
        var bytes = FlowMod();
        bytes[MatchOffset + 4 + 3] = length; // in_port's oxm_length (4)
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(bytes));
    }

    [Fact]
    public void Masked_unmaskable_field_is_rejected()
    {
        var bytes = FlowMod();
        bytes[MatchOffset + 4 + 2] |= 1; // set oxm_hasmask on in_port
        Assert.Contains("in_port", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(bytes)).Reason);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(20)]
    [InlineData(16)]
    [InlineData(32)]
    [InlineData(0xfff8)]
    public void Lying_instruction_length_is_rejected(ushort length) =>
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(FlowMod(), InstructionOffset + 2, length)));

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(24)]
    public void Lying_action_length_is_rejected(ushort length) =>
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(FlowMod(), ActionOffset + 2, length)));

    [Fact]
    public void Unknown_action_and_instruction_types_are_named()
    {
        Assert.Contains("unknown action type 99", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(FlowMod(), ActionOffset, 99))).Reason);
        Assert.Contains("unknown instruction type 7", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(FlowMod(), InstructionOffset, 7))).Reason);
    }

    [Fact]
    public void Non_zero_padding_is_rejected()
    {
        var bytes = FlowMod();
        bytes[^1] = 1; // last byte of ofp_action_output's pad[6]
        Assert.Contains("padding", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(bytes)).Reason);
        var match = FlowMod();
        match[MatchOffset + 18] = 1; // first byte of the match padding
        Assert.Contains("match padding", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(match)).Reason);
    }

    [Fact]
    public void Standard_match_type_is_rejected()
    {
        Assert.Contains("OFPMT_OXM", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(FlowMod(), MatchOffset, 0))).Reason);
    }

    [Fact]
    public void Packet_out_actions_len_beyond_message_is_rejected()
    {
        var bytes = OfpCodec.Encode(new PacketOut(OfpBuffer.NoBuffer, OfpPort.Controller, [new ActionOutput(OfpPort.Flood)], [1, 2, 3]));
        Assert.Contains("actions_len", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(bytes, 16, 100))).Reason);
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(bytes, 16, 8)));
    }

    [Fact]
    public void Bucket_band_and_hello_element_lengths_are_checked()
    {
        var group = OfpCodec.Encode(new GroupMod(GroupModCommand.Add, GroupType.All, 1, [new Bucket([new ActionOutput(1)])]));
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(group, 16, 24)));
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(group, 16, 40)));
        var meter = OfpCodec.Encode(new MeterMod(MeterModCommand.Add, MeterFlags.Kbps, 1, [new MeterBandDrop(1000, 10)]));
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(meter, 18, 8)));
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(meter, 18, 24)));
        var hello = OfpCodec.Encode(Hello.VersionBitmap(4));
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(hello, 10, 3)));
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(hello, 10, 6)));
        Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(WithU16(hello, 10, 16)));
    }

    [Fact]
    public void Port_name_with_junk_after_terminator_or_bad_utf8_is_rejected()
    {
        var status = new PortStatus(PortStatusReason.Add, new PortDesc(1, MacAddress.Parse("02:00:00:00:00:01"), "eth0", PortConfig.None, PortState.Live, 0, 0, 0, 0, 0, 0));
        var bytes = OfpCodec.Encode(status);
        const int nameOffset = 8 + 8 + 16;
        var junk = (byte[])bytes.Clone();
        junk[nameOffset + 10] = (byte)'x';
        Assert.Contains("NUL", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(junk)).Reason);
        var invalid = (byte[])bytes.Clone();
        invalid[nameOffset] = 0xc3; // a lone UTF-8 lead byte followed by 't'
        Assert.Contains("UTF-8", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(invalid)).Reason);
    }

    [Fact]
    public void Unknown_message_and_multipart_types_are_named()
    {
        Assert.Contains("unknown message type 42", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(Hex("04 2a 0008 00000000"))).Reason);
        Assert.Contains("unknown multipart type 77", Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(Hex("04 12 0010 00000000 004d 0000 00000000"))).Reason);
    }
}
