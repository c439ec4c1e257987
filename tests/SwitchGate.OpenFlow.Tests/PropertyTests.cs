using System.Buffers;
using System.Net;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow.Tests;

/// <summary>FsCheck properties: encode/decode round trips on generated messages; random bytes never break the decoder.</summary>
public class PropertyTests
{
    private static Gen<(TA, TB, TC)> Zip3<TA, TB, TC>(Gen<TA> a, Gen<TB> b, Gen<TC> c) =>
        a.SelectMany(x => b.SelectMany(y => c.Select(z => (x, y, z))));

    private static Gen<byte> AnyByte => Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<ushort> AnyU16 => Gen.Choose(0, 0xffff).Select(i => (ushort)i);

    private static Gen<uint> AnyU32 => Gen.Two(AnyU16).Select(t => ((uint)t.Item1 << 16) | t.Item2);

    private static Gen<ulong> AnyU64 => Gen.Two(AnyU32).Select(t => ((ulong)t.Item1 << 32) | t.Item2);

    private static Gen<byte[]> Bytes(int count) => Gen.ArrayOf(AnyByte, count);

    private static Gen<MacAddress> AnyMac => AnyU64.Select(v => new MacAddress(v & 0xFFFF_FFFF_FFFF));

    private static Gen<OxmField> BasicField =>
        Gen.Elements(Oxm.Fields.ToArray()).SelectMany(info =>
            Zip3(Bytes(info.Length), Bytes(info.Length), Gen.Elements(true, false)).Select(t =>
                info.Maskable && t.Item3 ? Oxm.Basic(info.Field, t.Item1.Zip(t.Item2, (v, m) => (byte)(v & m)).ToArray(), t.Item2) : Oxm.Basic(info.Field, t.Item1)));

    private static Gen<OxmField> OpaqueField =>
        Gen.OneOf(
            Zip3(AnyU32, Gen.Choose(0, 127), Gen.Choose(0, 12).SelectMany(Bytes)).Select(t => Oxm.ExperimenterField(t.Item1, (byte)t.Item2, t.Item3)),
            Zip3(Gen.Elements<ushort>(0, 1), Gen.Choose(0, 127), Gen.Choose(1, 8).SelectMany(Bytes)).Select(t => Oxm.Other(t.Item1, (byte)t.Item2, t.Item3)));

    private static Gen<OxmField> AnyField => Gen.Frequency((6, BasicField), (1, OpaqueField));

    private static Gen<Match> AnyMatch => Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(AnyField, n)).Select(f => new Match(f));

    private static Gen<OfpAction> AnyAction => Gen.OneOf(
        Gen.Zip(AnyU32, AnyU16).Select(t => (OfpAction)new ActionOutput(t.Item1, t.Item2)),
        Gen.Elements<OfpAction>(new ActionCopyTtlOut(), new ActionCopyTtlIn(), new ActionDecMplsTtl(), new ActionPopVlan(), new ActionDecNwTtl(), new ActionPopPbb()),
        AnyByte.Select(b => (OfpAction)new ActionSetMplsTtl(b)),
        AnyByte.Select(b => (OfpAction)new ActionSetNwTtl(b)),
        AnyU16.Select(e => (OfpAction)new ActionPushVlan(e)),
        AnyU16.Select(e => (OfpAction)new ActionPushMpls(e)),
        AnyU16.Select(e => (OfpAction)new ActionPopMpls(e)),
        AnyU16.Select(e => (OfpAction)new ActionPushPbb(e)),
        AnyU32.Select(q => (OfpAction)new ActionSetQueue(q)),
        AnyU32.Select(g => (OfpAction)new ActionGroup(g)),
        AnyField.Select(f => (OfpAction)new ActionSetField(f)),
        Gen.Zip(AnyU32, Gen.Choose(0, 3).SelectMany(n => Bytes(8 * n))).Select(t => (OfpAction)new ActionExperimenter(t.Item1, t.Item2)));

    private static Gen<OfpAction[]> AnyActions => Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(AnyAction, n));

    private static Gen<OfpInstruction> AnyInstruction => Gen.OneOf(
        AnyByte.Select(t => (OfpInstruction)new InstructionGotoTable(t)),
        Gen.Zip(AnyU64, AnyU64).Select(t => (OfpInstruction)new InstructionWriteMetadata(t.Item1, t.Item2)),
        AnyActions.Select(a => (OfpInstruction)new InstructionWriteActions(a)),
        AnyActions.Select(a => (OfpInstruction)new InstructionApplyActions(a)),
        Gen.Constant((OfpInstruction)new InstructionClearActions()),
        AnyU32.Select(m => (OfpInstruction)new InstructionMeter(m)),
        Gen.Zip(AnyU32, Gen.Choose(0, 2).SelectMany(n => Bytes(8 * n))).Select(t => (OfpInstruction)new InstructionExperimenter(t.Item1, t.Item2)));

    private static Gen<FlowMod> AnyFlowMod =>
        Zip3(Zip3(AnyU32, AnyU64, AnyU64), Zip3(AnyByte, Gen.Choose(0, 4), AnyU16), Zip3(AnyU16, AnyU16, AnyU32))
            .SelectMany(h => Zip3(Zip3(AnyU32, AnyU32, Gen.Choose(0, 31)), AnyMatch, Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(AnyInstruction, n)))
                .Select(t => new FlowMod
                {
                    Xid = h.Item1.Item1,
                    Cookie = h.Item1.Item2,
                    CookieMask = h.Item1.Item3,
                    TableId = h.Item2.Item1,
                    Command = (FlowModCommand)h.Item2.Item2,
                    IdleTimeout = h.Item2.Item3,
                    HardTimeout = h.Item3.Item1,
                    Priority = h.Item3.Item2,
                    BufferId = h.Item3.Item3,
                    OutPort = t.Item1.Item1,
                    OutGroup = t.Item1.Item2,
                    Flags = (FlowModFlags)t.Item1.Item3,
                    Match = t.Item2,
                    Instructions = t.Item3,
                }));

    [Property(MaxTest = 300)]
    public Property FlowMod_round_trips() => Prop.ForAll(AnyFlowMod.ToArbitrary(), mod =>
    {
        var bytes = GoldenTests.EncodeInto0xFF(mod, OfpEncodeOptions.Verbatim);
        var back = Assert.IsType<FlowMod>(OfpCodec.Decode(bytes));
        Assert.Equal(mod, back);
        Assert.Equal(bytes, OfpCodec.Encode(back, OfpEncodeOptions.Verbatim));
    });

    [Property(MaxTest = 300)]
    public Property Match_round_trips_in_packet_in() => Prop.ForAll(Gen.Zip(AnyMatch, Gen.Choose(0, 64).SelectMany(Bytes)).ToArbitrary(), t =>
    {
        var pin = new PacketIn(1, (ushort)t.Item2.Length, PacketInReason.Action, 3, 4, t.Item1, t.Item2);
        var back = Assert.IsType<PacketIn>(OfpCodec.Decode(GoldenTests.EncodeInto0xFF(pin, OfpEncodeOptions.Verbatim)));
        Assert.Equal(t.Item1, back.Match);
        Assert.Equal(t.Item2, back.Data);
    });

    [Property(MaxTest = 300)]
    public Property Actions_round_trip_in_packet_out() => Prop.ForAll(AnyActions.ToArbitrary(), actions =>
    {
        var po = new PacketOut(OfpBuffer.NoBuffer, OfpPort.Controller, actions, [0xde, 0xad]);
        var back = Assert.IsType<PacketOut>(OfpCodec.Decode(GoldenTests.EncodeInto0xFF(po)));
        Assert.Equal(actions, back.Actions);
    });

    // Matches that satisfy the prerequisites by construction: the encoder must accept them as they are.
    private static Gen<Match> ValidMatch => Gen.OneOf(
        Zip3(AnyU32, AnyMac, AnyMac).Select(t => Match.Of(Oxm.InPort(t.Item1), Oxm.EthDst(t.Item2), Oxm.EthSrc(t.Item3))),
        Zip3(AnyU32, AnyU16, AnyU16).Select(t => Match.Of(Oxm.EthType(0x0800), Oxm.Ipv4Src(new IPAddress(t.Item1)), Oxm.IpProto(6), Oxm.TcpSrc(t.Item2), Oxm.TcpDst(t.Item3))),
        Gen.Zip(AnyU16, AnyU16).Select(t => Match.Of(Oxm.EthType(0x86dd), Oxm.IpProto(17), Oxm.UdpSrc(t.Item1), Oxm.UdpDst(t.Item2))),
        AnyMac.Select(m => Match.Of(Oxm.EthType(0x86dd), Oxm.IpProto(58), Oxm.Icmpv6Type(135), Oxm.Ipv6NdTarget(IPAddress.IPv6Loopback), Oxm.Ipv6NdSll(m))),
        Gen.Zip(AnyU32, Gen.Choose(0, 7)).Select(t => Match.Of(Oxm.EthType(0x8847), Oxm.MplsLabel(t.Item1 & 0xfffff), Oxm.MplsTc((byte)t.Item2))),
        Gen.Choose(1, 4094).Select(v => Match.Of(Oxm.VlanVidTagged((ushort)v), Oxm.VlanPcp(3))));

    [Property(MaxTest = 200)]
    public Property Valid_matches_pass_the_prerequisite_check() => Prop.ForAll(ValidMatch.ToArbitrary(), match =>
    {
        var bytes = OfpCodec.Encode(new FlowMod { Match = match });
        Assert.Equal(match, Assert.IsType<FlowMod>(OfpCodec.Decode(bytes)).Match);
    });

    // The whole corpus as one TCP stream, cut into random segments: the framer yields every message, in order.
    [Property(MaxTest = 50)]
    public Property Framer_reads_a_stream_cut_anywhere() =>
        Prop.ForAll(Gen.ArrayOf(Gen.Choose(1, 700), 200).ToArbitrary(), cuts =>
        {
            var files = Corpus.Names().Select(Corpus.Packet).ToList();
            var stream = files.SelectMany(f => f).ToArray();
            var received = new List<byte>();
            var messages = new List<OfpMessage>();
            var offset = 0;
            var cut = 0;
            while (offset < stream.Length)
            {
                var n = Math.Min(cuts[cut++ % cuts.Length], stream.Length - offset);
                received.AddRange(stream.AsSpan(offset, n));
                offset += n;
                var buffer = new ReadOnlySequence<byte>(received.ToArray());
                while (OfpFrameReader.TryRead(ref buffer, out var message))
                {
                    messages.Add(message);
                }

                received = [.. buffer.ToArray()];
            }

            Assert.Empty(received);
            Assert.Equal(files.Count, messages.Count);
            for (var i = 0; i < files.Count; i++)
            {
                Assert.Equal(files[i], OfpCodec.Encode(messages[i], OfpEncodeOptions.Verbatim));
            }
        });

    [Property(MaxTest = 2000)]
    public Property Random_bytes_only_ever_raise_OpenFlowFormatException() =>
        Prop.ForAll(Gen.Choose(0, 80).SelectMany(Bytes).ToArbitrary(), bytes => MutationTests.AssertRejectedOrExact(bytes, Convert.ToHexString(bytes)));

    // Random bodies behind a plausible header reach the per-type decoders.
    [Property(MaxTest = 5000)]
    public Property Random_bodies_of_every_type_are_rejected_or_exact() =>
        Prop.ForAll(Gen.Zip(Gen.Choose(0, 29), Gen.Choose(0, 120).SelectMany(Bytes)).ToArbitrary(), t =>
        {
            var bytes = new byte[8 + t.Item2.Length];
            bytes[0] = OfpConstants.Version;
            bytes[1] = (byte)t.Item1;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), (ushort)bytes.Length);
            t.Item2.CopyTo(bytes, 8);
            MutationTests.AssertRejectedOrExact(bytes, Convert.ToHexString(bytes));
        });
}
