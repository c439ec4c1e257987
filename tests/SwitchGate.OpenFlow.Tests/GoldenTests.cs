using System.Buffers;
using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow.Tests;

/// <summary>Hand-checked byte layouts of OpenFlow 1.3.5 messages (struct layouts of spec §7).</summary>
public class GoldenTests
{
    internal static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(c => !char.IsWhiteSpace(c))));

    internal static byte[] EncodeInto0xFF(OfpMessage m, OfpEncodeOptions? options = null)
    {
        var buffer = new byte[OfpCodec.GetLength(m) + 8];
        buffer.AsSpan().Fill(0xFF);
        var n = OfpCodec.Encode(m, buffer, options ?? OfpEncodeOptions.Default);
        Assert.Equal(OfpCodec.GetLength(m), n);
        Assert.All(buffer[n..], b => Assert.Equal(0xFF, b));
        return buffer[..n];
    }

    [Fact]
    public void Hello_with_version_bitmap_for_1_3()
    {
        var hello = Hello.VersionBitmap(4) with { Xid = 1 };
        var bytes = EncodeInto0xFF(hello);
        // ofp_header(04 00 0010 00000001), ofp_hello_elem_versionbitmap(type 1, len 8, bitmap 1<<4), no padding needed.
        Assert.Equal(Hex("04 00 0010 00000001  0001 0008 00000010"), bytes);
        var back = Assert.IsType<Hello>(OfpCodec.Decode(bytes));
        Assert.True(back.SupportsVersion(4));
        Assert.False(back.SupportsVersion(1));
        Assert.Equal(1u, back.Xid);
    }

    [Fact]
    public void Hello_of_another_version_decodes_for_negotiation()
    {
        var bytes = Hex("01 00 0008 0000002a");
        var hello = Assert.IsType<Hello>(OfpCodec.Decode(bytes));
        Assert.Equal(1, hello.Version);
        Assert.Equal(42u, hello.Xid);
        Assert.True(hello.SupportsVersion(1));
        Assert.False(hello.SupportsVersion(4));
        Assert.Equal(bytes, OfpCodec.Encode(hello));
    }

    [Fact]
    public void Non_hello_of_another_version_is_rejected()
    {
        var e = Assert.Throws<OpenFlowFormatException>(() => OfpCodec.Decode(Hex("05 02 0008 00000001")));
        Assert.Contains("version 0x05", e.Reason);
    }

    [Fact]
    public void FlowMod_layout_matches_ofp_flow_mod()
    {
        var mod = new FlowMod
        {
            Xid = 0x11223344,
            Cookie = 0x0102030405060708,
            TableId = 1,
            Command = FlowModCommand.Add,
            IdleTimeout = 30,
            Priority = 100,
            Flags = FlowModFlags.SendFlowRem,
            Match = Match.Of(Oxm.InPort(3), Oxm.EthDst(MacAddress.Parse("00:00:00:00:00:02"))),
            Instructions = [new InstructionApplyActions([new ActionOutput(2)])],
        };
        var expected = Hex("""
            04 0e 0060 11223344
            0102030405060708 0000000000000000
            01 00 001e 0000 0064 ffffffff ffffffff ffffffff 0001 0000
            0001 0016 80000004 00000003 80000606 000000000002 0000
            0004 0018 00000000 0000 0010 00000002 ffff 000000000000
            """);
        var bytes = EncodeInto0xFF(mod);
        Assert.Equal(expected, bytes);
        var back = Assert.IsType<FlowMod>(OfpCodec.Decode(bytes));
        Assert.Equal(mod, back);
        Assert.Equal(3u, back.Match.InPort);
    }

    [Fact]
    public void PacketIn_layout_matches_ofp_packet_in()
    {
        var pin = new PacketIn(OfpBuffer.NoBuffer, 4, PacketInReason.NoMatch, 0, 0xabcdef, Match.Of(Oxm.InPort(7)), [1, 2, 3, 4]) { Xid = 9 };
        var expected = Hex("""
            04 0a 002e 00000009
            ffffffff 0004 00 00 0000000000abcdef
            0001 000c 80000004 00000007 00000000
            0000 01020304
            """);
        var bytes = EncodeInto0xFF(pin);
        Assert.Equal(expected, bytes);
        var back = Assert.IsType<PacketIn>(OfpCodec.Decode(bytes));
        Assert.Equal(7u, back.Match.InPort);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, back.Data);
        Assert.Equal(PacketInReason.NoMatch, back.Reason);
    }

    [Fact]
    public void Barrier_and_echo_are_bare_headers()
    {
        Assert.Equal(Hex("04 14 0008 00000005"), EncodeInto0xFF(new BarrierRequest { Xid = 5 }));
        Assert.Equal(Hex("04 02 000a 00000006 6869"), EncodeInto0xFF(new EchoRequest("hi"u8.ToArray()) { Xid = 6 }));
    }

    [Fact]
    public void Framing_needs_more_bytes_then_reads_one_message()
    {
        var one = OfpCodec.Encode(new EchoRequest([1, 2, 3]) { Xid = 1 });
        var two = OfpCodec.Encode(new BarrierRequest { Xid = 2 });
        var stream = one.Concat(two).ToArray();
        for (var n = 0; n < one.Length; n++)
        {
            var partial = new ReadOnlySequence<byte>(stream, 0, n);
            Assert.False(OfpFrameReader.TryRead(ref partial, out _));
            Assert.Equal(n, partial.Length);
        }

        var buffer = new ReadOnlySequence<byte>(stream);
        Assert.True(OfpFrameReader.TryRead(ref buffer, out var first));
        Assert.IsType<EchoRequest>(first);
        Assert.Equal(two.Length, buffer.Length);
        Assert.True(OfpFrameReader.TryRead(ref buffer, out var second));
        Assert.Equal(2u, Assert.IsType<BarrierRequest>(second).Xid);
        Assert.Equal(0, buffer.Length);
        Assert.False(OfpFrameReader.TryRead(ref buffer, out _));
    }

    [Fact]
    public void Framing_rejects_header_length_below_8_without_waiting()
    {
        var buffer = new ReadOnlySequence<byte>(Hex("04 02 0004"));
        var e = Assert.Throws<OpenFlowFormatException>(() => OfpFrameReader.TryRead(ref buffer, out _));
        Assert.Contains("less than the 8-byte header", e.Reason);
    }

    [Fact]
    public void Framing_rejects_unknown_type_and_wrong_version_early()
    {
        var unknown = new ReadOnlySequence<byte>(Hex("04 1e"));
        Assert.Contains("unknown message type 30", Assert.Throws<OpenFlowFormatException>(() => OfpFrameReader.TryRead(ref unknown, out _)).Reason);
        var v1 = new ReadOnlySequence<byte>(Hex("01 0e"));
        Assert.Throws<OpenFlowFormatException>(() => OfpFrameReader.TryRead(ref v1, out _));
    }

    [Fact]
    public void Encoding_more_than_65535_bytes_is_refused()
    {
        var big = new EchoRequest(new byte[OfpFrameReader.MaxMessageLength - 7]);
        Assert.Throws<ArgumentException>(() => OfpCodec.GetLength(big));
        var fits = new EchoRequest(new byte[OfpFrameReader.MaxMessageLength - 8]);
        Assert.Equal(OfpFrameReader.MaxMessageLength, OfpCodec.Encode(fits).Length);
    }

    [Fact]
    public void Framing_across_segments()
    {
        var bytes = OfpCodec.Encode(new FlowMod { Xid = 3, Match = Match.Of(Oxm.EthType(0x0800), Oxm.IpProto(6), Oxm.TcpDst(22)) });
        var first = new Segment(bytes.AsMemory(0, 5));
        var last = first.Append(bytes.AsMemory(5));
        var seq = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        Assert.True(OfpFrameReader.TryRead(ref seq, out var m));
        Assert.Equal(bytes, OfpCodec.Encode(m));
    }

    [Fact]
    public void Destination_too_small_is_an_argument_exception()
    {
        var buffer = new byte[7];
        Assert.Throws<ArgumentException>(() => OfpCodec.Encode(new BarrierRequest(), buffer));
    }

    [Fact]
    public void Encode_to_buffer_writer()
    {
        var writer = new ArrayBufferWriter<byte>();
        OfpCodec.Encode(new BarrierReply { Xid = 7 }, writer);
        Assert.Equal(Hex("04 15 0008 00000007"), writer.WrittenSpan.ToArray());
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
