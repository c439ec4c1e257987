using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow.Tests;

/// <summary>
/// Independent check of our encoder: messages we build are written to a pcap as one TCP stream to port 6653 and
/// dissected by Wireshark's OpenFlow 1.3 dissector (tshark); it must recognise every message type and flag nothing
/// as malformed.
/// </summary>
[Trait("Requires", "tshark")]
public class WiresharkTests
{
    internal static IReadOnlyList<OfpMessage> Samples()
    {
        var mac = MacAddress.Parse("02:00:00:00:00:01");
        var match = Match.Of(
            Oxm.InPort(1),
            Oxm.EthDst(MacAddress.Parse("02:00:00:00:00:00"), MacAddress.Parse("ff:ff:ff:00:00:00")),
            Oxm.EthType(0x0800),
            Oxm.Ipv4Src(IPAddress.Parse("10.0.0.0"), IPAddress.Parse("255.255.255.0")),
            Oxm.IpProto(6),
            Oxm.TcpDst(22),
            Oxm.VlanVidTagged(100),
            Oxm.VlanPcp(2),
            Oxm.Metadata(0xabc, 0xfff),
            Oxm.TunnelId(7));
        OfpAction[] actions =
        [
            new ActionOutput(2), new ActionOutput(OfpPort.Controller, OfpControllerMaxLen.NoBuffer), new ActionCopyTtlOut(), new ActionCopyTtlIn(),
            new ActionSetMplsTtl(9), new ActionDecMplsTtl(), new ActionPushVlan(), new ActionPopVlan(), new ActionPushMpls(), new ActionPopMpls(),
            new ActionSetQueue(3), new ActionGroup(4), new ActionSetNwTtl(5), new ActionDecNwTtl(), new ActionSetField(Oxm.EthSrc(mac)),
            new ActionSetField(Oxm.Ipv6Dst(IPAddress.IPv6Loopback)), new ActionPushPbb(), new ActionPopPbb(),
        ];
        var port = new PortDesc(1, mac, "eth1", PortConfig.None, PortState.Live, (uint)(PortFeatures.Rate1GbFd | PortFeatures.Copper), 0, 0, 0, 1_000_000, 1_000_000);
        uint xid = 100;
        OfpMessage[] messages =
        [
            Hello.VersionBitmap(1, 4),
            new ErrorMsg(ErrorType.BadRequest, (ushort)BadRequestCode.BadType, OfpCodec.Encode(new BarrierRequest { Xid = 1 })),
            new EchoRequest([1, 2, 3]),
            new EchoReply([1, 2, 3]),
            new ExperimenterMsg(0x2320, 1, [0, 0, 0, 0]),
            new FeaturesRequest(),
            new FeaturesReply(0x0000_0242_ac11_0002, 256, 254, 0, Capabilities.FlowStats | Capabilities.TableStats | Capabilities.PortStats | Capabilities.GroupStats),
            new GetConfigRequest(),
            new GetConfigReply(0, 128),
            new SetConfig(0, OfpControllerMaxLen.NoBuffer),
            new PacketIn(OfpBuffer.NoBuffer, 60, PacketInReason.NoMatch, 0, 0, Match.Of(Oxm.InPort(3)), new byte[60]),
            new FlowRemoved(1, 10, FlowRemovedReason.IdleTimeout, 1, 5, 6, 30, 0, 7, 8, match),
            new PortStatus(PortStatusReason.Modify, port),
            new PacketOut(OfpBuffer.NoBuffer, OfpPort.Controller, [new ActionOutput(OfpPort.Flood)], new byte[60]),
            new FlowMod
            {
                Cookie = 0x42,
                TableId = 1,
                IdleTimeout = 60,
                Priority = 100,
                Flags = FlowModFlags.SendFlowRem | FlowModFlags.CheckOverlap,
                Match = match,
                Instructions =
                [
                    new InstructionMeter(1), new InstructionApplyActions(actions), new InstructionClearActions(),
                    new InstructionWriteActions([new ActionOutput(3)]), new InstructionWriteMetadata(1, 0xff), new InstructionGotoTable(2),
                ],
            },
            new FlowMod { Command = FlowModCommand.Delete, TableId = OfpTable.All },
            new GroupMod(GroupModCommand.Add, GroupType.Select, 1, [new Bucket(50, OfpPort.Any, OfpGroup.Any, [new ActionOutput(1)]), new Bucket(50, OfpPort.Any, OfpGroup.Any, [new ActionOutput(2)])]),
            new PortMod(1, mac, PortConfig.NoFwd, PortConfig.NoFwd, 0),
            new TableMod(OfpTable.All, TableConfig.None),
            new MultipartRequest(new DescRequest()),
            new MultipartReply(new DescReply("SwitchGate", "hw", "sw", "123", "dp")),
            new MultipartRequest(new FlowStatsRequest { Match = match }),
            new MultipartReply(new FlowStatsReply([new FlowStats(0, 1, 2, 3, 4, 5, FlowModFlags.None, 6, 7, 8, match, [new InstructionGotoTable(1)])])) { Flags = MultipartFlags.ReplyMore },
            new MultipartRequest(new AggregateStatsRequest()),
            new MultipartReply(new AggregateStatsReply(1, 2, 3)),
            new MultipartRequest(new TableStatsRequest()),
            new MultipartReply(new TableStatsReply([new TableStats(0, 1, 2, 3)])),
            new MultipartRequest(new PortStatsRequest()),
            new MultipartReply(new PortStatsReply([new PortStats(1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14)])),
            new MultipartRequest(new PortDescRequest()),
            new MultipartReply(new PortDescReply([port, port with { PortNo = 2, Name = "eth2" }])),
            new MultipartRequest(new GroupDescRequest()),
            new MultipartReply(new GroupDescReply([new GroupDesc(GroupType.All, 1, [new Bucket([new ActionOutput(1)])])])),
            new MultipartRequest(new MeterConfigRequest()),
            new MultipartReply(new MeterConfigReply([new MeterConfig(MeterFlags.Kbps, 1, [new MeterBandDrop(1000, 0)])])),
            new MultipartRequest(new QueueStatsRequest()),
            new MultipartReply(new QueueStatsReply([new QueueStats(1, 2, 3, 4, 5, 6, 7)])),
            new MultipartRequest(new GroupStatsRequest()),
            new MultipartReply(new GroupStatsReply([new GroupStats(1, 2, 3, 4, 5, 6, [new BucketCounter(7, 8)])])),
            new MultipartRequest(new MeterStatsRequest()),
            new MultipartReply(new MeterStatsReply([new MeterStats(1, 2, 3, 4, 5, 6, [new MeterBandStats(7, 8)])])),
            new MultipartRequest(new GroupFeaturesRequest()),
            new MultipartReply(new GroupFeaturesReply(15, 5, [1, 2, 3, 4], [1, 1, 1, 1])),
            new MultipartRequest(new MeterFeaturesRequest()),
            new MultipartReply(new MeterFeaturesReply(16, 6, 15, 2, 0)),
            new BarrierRequest(),
            new BarrierReply(),
            new QueueGetConfigRequest(OfpPort.Any),
            new QueueGetConfigReply(1, []),
            new RoleRequest(ControllerRole.Master, 1),
            new RoleReply(ControllerRole.Master, 1),
            new GetAsyncRequest(),
            new GetAsyncReply { PacketInMaskMaster = 3, PortStatusMaskMaster = 7, FlowRemovedMaskMaster = 15 },
            new SetAsync { PacketInMaskMaster = 3, PortStatusMaskMaster = 7, FlowRemovedMaskMaster = 15 },
            new MeterMod(MeterModCommand.Add, MeterFlags.Kbps | MeterFlags.Burst | MeterFlags.Stats, 1, [new MeterBandDrop(1000, 100), new MeterBandDscpRemark(2000, 100, 1)]),
        ];
        return messages.Select(m => m with { Xid = xid++ }).ToList();
    }

    [Fact]
    public void Tshark_dissects_every_encoded_message_without_errors()
    {
        var messages = Samples();
        var path = Path.Combine(Path.GetTempPath(), $"sg-of-{Guid.NewGuid():n}.pcap");
        try
        {
            File.WriteAllBytes(path, Pcap(messages.Select(m => OfpCodec.Encode(m))));
            var types = RunTshark(path, "-T", "fields", "-E", "occurrence=f", "-e", "openflow_v4.type", "-e", "openflow_v4.xid");
            var lines = types.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(messages.Count, lines.Length);
            for (var i = 0; i < messages.Count; i++)
            {
                Assert.Equal($"{(byte)messages[i].Type}\t{messages[i].Xid}", lines[i]);
            }

            var problems = RunTshark(path, "-Y", "_ws.malformed || _ws.expert.severity >= \"warning\"" , "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message");
            Assert.True(problems.Trim().Length == 0, $"tshark found problems:\n{problems}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string RunTshark(string pcap, params string[] args)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-n", "-r", pcap, "-d", "tcp.port==6653,openflow", "-o", "tcp.desegment_tcp_streams:TRUE" }.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            Assert.Fail("tshark did not finish within 60 s");
        }

        Assert.True(p.ExitCode == 0, $"tshark exited {p.ExitCode}: {stderr.Result}");
        return stdout;
    }

    /// <summary>A classic pcap (LINKTYPE_RAW, IPv4) with one TCP segment per message, 127.0.0.1:40000 -> 127.0.0.1:6653.</summary>
    internal static byte[] Pcap(IEnumerable<byte[]> payloads)
    {
        using var ms = new MemoryStream();
        Span<byte> header = stackalloc byte[24];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xa1b2c3d4);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], 65535);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], 101);
        ms.Write(header);
        uint seq = 1;
        uint second = 1;
        var record = new byte[16];
        foreach (var payload in payloads)
        {
            var packet = new byte[20 + 20 + payload.Length];
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            packet[8] = 64;
            packet[9] = 6;
            new byte[] { 127, 0, 0, 1 }.CopyTo(packet, 12);
            new byte[] { 127, 0, 0, 1 }.CopyTo(packet, 16);
            ushort ipChecksum = Checksum(packet.AsSpan(0, 20));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), ipChecksum);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(20), 40000);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(22), 6653);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(24), seq);
            packet[32] = 0x50;
            packet[33] = 0x18; // PSH, ACK
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(34), 65535);
            payload.CopyTo(packet, 40);
            seq += (uint)payload.Length;

            Array.Clear(record);
            BinaryPrimitives.WriteUInt32LittleEndian(record, second++);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)packet.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)packet.Length);
            ms.Write(record);
            ms.Write(packet);
        }

        return ms.ToArray();
    }

    private static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        while (sum >> 16 != 0)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
