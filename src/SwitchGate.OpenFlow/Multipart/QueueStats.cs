namespace SwitchGate.OpenFlow;

// OFPMP_QUEUE: queue statistics. Part of OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5).

/// <summary>OFPMP_QUEUE request (ofp_queue_stats_request); the reply body stays opaque.</summary>
public sealed record QueueStatsRequest(uint PortNo = OfpPort.Any, uint QueueId = QueueStatsRequest.AllQueues) : MultipartRequestBody
{
    /// <summary>OFPQ_ALL.</summary>
    public const uint AllQueues = 0xffffffff;

    public override MultipartType MultipartType => MultipartType.Queue;

    internal override int Length => 8;

    internal override void Write(ref WireWriter w)
    {
        w.U32(PortNo);
        w.U32(QueueId);
    }
}

/// <summary>ofp_queue_stats.</summary>
public sealed record QueueStats(uint PortNo, uint QueueId, ulong TxBytes, ulong TxPackets, ulong TxErrors, uint DurationSec, uint DurationNsec)
{
    public const int WireLength = 40;
}

/// <summary>OFPMP_QUEUE reply.</summary>
public sealed record QueueStatsReply(IReadOnlyList<QueueStats> Stats) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.Queue;

    internal override int Length => Stats.Count * QueueStats.WireLength;

    internal override void Write(ref WireWriter w)
    {
        for (var index = 0; index < Stats.Count; index++)
        {
            var s = Stats[index];
            w.U32(s.PortNo);
            w.U32(s.QueueId);
            w.U64(s.TxBytes);
            w.U64(s.TxPackets);
            w.U64(s.TxErrors);
            w.U32(s.DurationSec);
            w.U32(s.DurationNsec);
        }
    }
}

internal static partial class MultipartReader
{
    private static QueueStatsReply ReadQueueStats(ref WireReader r)
    {
        if (r.Remaining % QueueStats.WireLength != 0)
        {
            throw r.Fail($"queue stats body of {r.Remaining} bytes is not a multiple of {QueueStats.WireLength}");
        }

        var list = new List<QueueStats>();
        while (r.Remaining > 0)
        {
            list.Add(new QueueStats(r.U32("port_no"), r.U32("queue_id"), r.U64("tx_bytes"), r.U64("tx_packets"), r.U64("tx_errors"), r.U32("duration_sec"), r.U32("duration_nsec")));
        }

        return new QueueStatsReply(list);
    }
}
