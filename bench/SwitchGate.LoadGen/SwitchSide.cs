using SwitchGate.OpenFlow;

namespace SwitchGate.LoadGen;

/// <summary>
/// The switch side of everything that is not the packet-in hot path: what a fake switch answers to a
/// controller-to-switch message (§7.3). Pure: message in, answer (or null) out.
/// </summary>
internal static class SwitchSide
{
    public static OfpMessage? Answer(OfpMessage request, ulong datapathId, int ports) => request switch
    {
        // §7.3.1: no buffers (every packet-in carries its whole frame), 254 tables, main connection.
        FeaturesRequest => (OfpMessage)new FeaturesReply(datapathId, 0, 254, 0, Capabilities.FlowStats | Capabilities.TableStats | Capabilities.PortStats),
        GetConfigRequest => new GetConfigReply(0, OfpControllerMaxLen.NoBuffer),
        BarrierRequest => new BarrierReply(),
        EchoRequest echo => new EchoReply(echo.Data),
        RoleRequest role => new RoleReply(role.Role, role.GenerationId),
        GetAsyncRequest => new GetAsyncReply { PacketInMaskMaster = 0b111, PortStatusMaskMaster = 0b111, FlowRemovedMaskMaster = 0b1111 },
        MultipartRequest m => new MultipartReply(MultipartAnswer(m.Body, datapathId, ports)),
        _ => null,
    } is { } answer ? answer with { Xid = request.Xid } : null;

    private static MultipartReplyBody MultipartAnswer(MultipartRequestBody body, ulong datapathId, int ports) => body switch
    {
        PortDescRequest => new PortDescReply(Enumerable.Range(1, ports).Select(p => Port((uint)p, datapathId)).ToArray()),
        DescRequest => new DescReply("SwitchGate", "sg-loadgen fake switch", "sg-loadgen", $"{datapathId:x16}", "load generator"),
        FlowStatsRequest => new FlowStatsReply([]),
        AggregateStatsRequest => new AggregateStatsReply(0, 0, 0),
        TableStatsRequest => new TableStatsReply([]),
        PortStatsRequest => new PortStatsReply([]),
        GroupDescRequest => new GroupDescReply([]),
        MeterConfigRequest => new MeterConfigReply([]),
        _ => new RawMultipartReply(body.MultipartType, []),
    };

    private static PortDesc Port(uint number, ulong datapathId) => new(
        number,
        new MacAddress(0x0A_0000_0000UL | ((datapathId & 0xFFFF) << 16) | number),
        $"lg{datapathId & 0xFFFF}-p{number}",
        PortConfig.None,
        PortState.Live,
        0, 0, 0, 0, 10_000_000, 10_000_000);
}
