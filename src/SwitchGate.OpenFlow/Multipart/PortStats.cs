namespace SwitchGate.OpenFlow;

// OFPMP_PORT_STATS: port statistics. Part of OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5).

/// <summary>OFPMP_PORT_STATS request (ofp_port_stats_request).</summary>
public sealed record PortStatsRequest(uint PortNo = OfpPort.Any) : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.PortStats;

    internal override int Length => 8;

    internal override void Write(ref WireWriter w)
    {
        w.U32(PortNo);
        w.Zeros(4);
    }
}

/// <summary>ofp_port_stats.</summary>
public sealed record PortStats(
    uint PortNo,
    ulong RxPackets,
    ulong TxPackets,
    ulong RxBytes,
    ulong TxBytes,
    ulong RxDropped,
    ulong TxDropped,
    ulong RxErrors,
    ulong TxErrors,
    ulong RxFrameErr,
    ulong RxOverErr,
    ulong RxCrcErr,
    ulong Collisions,
    uint DurationSec,
    uint DurationNsec)
{
    public const int WireLength = 112;
}

/// <summary>OFPMP_PORT_STATS reply.</summary>
public sealed record PortStatsReply(IReadOnlyList<PortStats> Stats) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.PortStats;

    internal override int Length => Stats.Count * PortStats.WireLength;

    internal override void Write(ref WireWriter w)
    {
        foreach (var s in Stats)
        {
            w.U32(s.PortNo);
            w.Zeros(4);
            w.U64(s.RxPackets);
            w.U64(s.TxPackets);
            w.U64(s.RxBytes);
            w.U64(s.TxBytes);
            w.U64(s.RxDropped);
            w.U64(s.TxDropped);
            w.U64(s.RxErrors);
            w.U64(s.TxErrors);
            w.U64(s.RxFrameErr);
            w.U64(s.RxOverErr);
            w.U64(s.RxCrcErr);
            w.U64(s.Collisions);
            w.U32(s.DurationSec);
            w.U32(s.DurationNsec);
        }
    }
}

internal static partial class MultipartReader
{
    private static PortStatsRequest ReadPortStatsRequest(ref WireReader r)
    {
        var port = r.U32("port_no");
        r.Pad(4, "request padding");
        return new PortStatsRequest(port);
    }

    private static PortStatsReply ReadPortStats(ref WireReader r)
    {
        if (r.Remaining % PortStats.WireLength != 0)
        {
            throw r.Fail($"port stats body of {r.Remaining} bytes is not a multiple of {PortStats.WireLength}");
        }

        var list = new List<PortStats>();
        while (r.Remaining > 0)
        {
            var port = r.U32("port_no");
            r.Pad(4, "port_stats padding");
            list.Add(new PortStats(
                port,
                r.U64("rx_packets"),
                r.U64("tx_packets"),
                r.U64("rx_bytes"),
                r.U64("tx_bytes"),
                r.U64("rx_dropped"),
                r.U64("tx_dropped"),
                r.U64("rx_errors"),
                r.U64("tx_errors"),
                r.U64("rx_frame_err"),
                r.U64("rx_over_err"),
                r.U64("rx_crc_err"),
                r.U64("collisions"),
                r.U32("duration_sec"),
                r.U32("duration_nsec")));
        }

        return new PortStatsReply(list);
    }
}
