using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.TestSupport.OpenFlow;

/// <summary>
/// The switch side of everything a controller asks a switch (OpenFlow 1.3.5 §7.3), as a well-behaved switch answers
/// it: what every fake switch of the tests and load generators replies. Pure: message in, answer (or null) out.
/// </summary>
public static class SwitchSide
{
    /// <summary>The answer to <paramref name="request"/> from a switch with <paramref name="ports"/>; null for messages that get none.</summary>
    public static OfpMessage? Answer(OfpMessage request, ulong datapathId, IReadOnlyList<PortDesc> ports, string description = "SwitchGate fake switch") => request switch
    {
        // §7.3.1: no buffers (every packet-in carries its whole frame), 254 tables, main connection.
        FeaturesRequest => (OfpMessage)new FeaturesReply(datapathId, 0, 254, 0, Capabilities.FlowStats | Capabilities.TableStats | Capabilities.PortStats),
        GetConfigRequest => new GetConfigReply(0, OfpControllerMaxLen.NoBuffer),
        BarrierRequest => new BarrierReply(),
        EchoRequest echo => new EchoReply(echo.Data),
        RoleRequest role => new RoleReply(role.Role, role.GenerationId),
        GetAsyncRequest => new GetAsyncReply { PacketInMaskMaster = 0b111, PortStatusMaskMaster = 0b111, FlowRemovedMaskMaster = 0b1111 },
        MultipartRequest m => new MultipartReply(MultipartAnswer(m.Body, datapathId, ports, description)),
        _ => null,
    } is { } answer ? answer with { Xid = request.Xid } : null;

    /// <summary>Ports 1..<paramref name="count"/> of a switch, each with a MAC derived from the datapath id.</summary>
    public static PortDesc[] Ports(ulong datapathId, int count, string prefix) =>
        Enumerable.Range(1, count).Select(p => Port((uint)p, new MacAddress(0x0A_0000_0000UL | ((datapathId & 0xFFFF) << 16) | (uint)p), $"{prefix}{datapathId & 0xFFFF}-p{p}")).ToArray();

    /// <summary>A live 10 Gb/s copper port (§7.2.1) with no configuration.</summary>
    public static PortDesc Port(uint number, MacAddress mac, string name) =>
        new(number, mac, name, PortConfig.None, PortState.Live, 0, 0, 0, 0, 10_000_000, 10_000_000);

    private static MultipartReplyBody MultipartAnswer(MultipartRequestBody body, ulong datapathId, IReadOnlyList<PortDesc> ports, string description) => body switch
    {
        PortDescRequest => new PortDescReply([.. ports]),
        DescRequest => new DescReply("SwitchGate", description, "SwitchGate", $"{datapathId:x16}", "test"),
        FlowStatsRequest => new FlowStatsReply([]),
        AggregateStatsRequest => new AggregateStatsReply(0, 0, 0),
        TableStatsRequest => new TableStatsReply([]),
        PortStatsRequest => new PortStatsReply([]),
        GroupDescRequest => new GroupDescReply([]),
        MeterConfigRequest => new MeterConfigReply([]),
        _ => new RawMultipartReply(body.MultipartType, []),
    };
}
