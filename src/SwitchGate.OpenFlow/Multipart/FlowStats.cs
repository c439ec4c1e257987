namespace SwitchGate.OpenFlow;

// OFPMP_FLOW and OFPMP_AGGREGATE: per-flow and aggregate flow statistics. Part of OFPT_MULTIPART_REQUEST /
// OFPT_MULTIPART_REPLY (§7.3.5).

/// <summary>Shape shared by ofp_flow_stats_request and ofp_aggregate_stats_request.</summary>
public abstract record FlowFilterRequest : MultipartRequestBody
{
    public byte TableId { get; init; } = OfpTable.All;

    public uint OutPort { get; init; } = OfpPort.Any;

    public uint OutGroup { get; init; } = OfpGroup.Any;

    public ulong Cookie { get; init; }

    public ulong CookieMask { get; init; }

    public Match Match { get; init; } = Match.Empty;

    internal sealed override int Length => 32 + Match.PaddedLength;

    internal sealed override void Write(ref WireWriter w)
    {
        w.U8(TableId);
        w.Zeros(3);
        w.U32(OutPort);
        w.U32(OutGroup);
        w.Zeros(4);
        w.U64(Cookie);
        w.U64(CookieMask);
        Match.Write(ref w);
    }

    internal static T Read<T>(ref WireReader r)
        where T : FlowFilterRequest, new()
    {
        var tableId = r.U8("table_id");
        r.Pad(3, "request padding");
        var outPort = r.U32("out_port");
        var outGroup = r.U32("out_group");
        r.Pad(4, "request padding");
        var cookie = r.U64("cookie");
        var cookieMask = r.U64("cookie_mask");
        var match = Match.Read(ref r);
        return new T { TableId = tableId, OutPort = outPort, OutGroup = outGroup, Cookie = cookie, CookieMask = cookieMask, Match = match };
    }
}

/// <summary>OFPMP_FLOW request (ofp_flow_stats_request).</summary>
public sealed record FlowStatsRequest : FlowFilterRequest
{
    public override MultipartType MultipartType => MultipartType.Flow;
}

/// <summary>OFPMP_AGGREGATE request (ofp_aggregate_stats_request).</summary>
public sealed record AggregateStatsRequest : FlowFilterRequest
{
    public override MultipartType MultipartType => MultipartType.Aggregate;
}

/// <summary>ofp_flow_stats.</summary>
public sealed record FlowStats(
    byte TableId,
    uint DurationSec,
    uint DurationNsec,
    ushort Priority,
    ushort IdleTimeout,
    ushort HardTimeout,
    FlowModFlags Flags,
    ulong Cookie,
    ulong PacketCount,
    ulong ByteCount,
    Match Match,
    IReadOnlyList<OfpInstruction> Instructions)
{
    public int Length => 48 + Match.PaddedLength + OfpInstruction.ListLength(Instructions);

    internal void Write(ref WireWriter w)
    {
        w.U16((ushort)Length);
        w.U8(TableId);
        w.Zeros(1);
        w.U32(DurationSec);
        w.U32(DurationNsec);
        w.U16(Priority);
        w.U16(IdleTimeout);
        w.U16(HardTimeout);
        w.U16((ushort)Flags);
        w.Zeros(4);
        w.U64(Cookie);
        w.U64(PacketCount);
        w.U64(ByteCount);
        Match.Write(ref w);
        OfpInstruction.WriteList(ref w, Instructions);
    }

    internal static FlowStats Read(ref WireReader outer)
    {
        var length = outer.U16("flow_stats length");
        if (length < 56 || length % 8 != 0)
        {
            throw outer.Fail($"flow_stats length {length} is not a multiple of 8 of at least 56");
        }

        if (length - 2 > outer.Remaining)
        {
            throw outer.Fail($"flow_stats length {length} exceeds the {outer.Remaining + 2} bytes left");
        }

        var r = outer.Sub(length - 2, "flow_stats");
        var tableId = r.U8("table_id");
        r.Pad(1, "flow_stats padding");
        var durationSec = r.U32("duration_sec");
        var durationNsec = r.U32("duration_nsec");
        var priority = r.U16("priority");
        var idle = r.U16("idle_timeout");
        var hard = r.U16("hard_timeout");
        var flags = (FlowModFlags)r.U16("flags");
        r.Pad(4, "flow_stats padding");
        var cookie = r.U64("cookie");
        var packets = r.U64("packet_count");
        var bytes = r.U64("byte_count");
        var match = Match.Read(ref r);
        var instructions = OfpInstruction.ReadList(ref r);
        return new FlowStats(tableId, durationSec, durationNsec, priority, idle, hard, flags, cookie, packets, bytes, match, instructions);
    }
}

/// <summary>OFPMP_FLOW reply.</summary>
public sealed record FlowStatsReply(IReadOnlyList<FlowStats> Stats) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.Flow;

    internal override int Length => Stats.Sum(s => s.Length);

    internal override void Write(ref WireWriter w)
    {
        foreach (var s in Stats)
        {
            s.Write(ref w);
        }
    }
}

/// <summary>OFPMP_AGGREGATE reply (ofp_aggregate_stats_reply).</summary>
public sealed record AggregateStatsReply(ulong PacketCount, ulong ByteCount, uint FlowCount) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.Aggregate;

    internal override int Length => 24;

    internal override void Write(ref WireWriter w)
    {
        w.U64(PacketCount);
        w.U64(ByteCount);
        w.U32(FlowCount);
        w.Zeros(4);
    }
}

internal static partial class MultipartReader
{
    private static FlowStatsReply ReadFlowStats(ref WireReader r)
    {
        var list = new List<FlowStats>();
        while (r.Remaining > 0)
        {
            list.Add(FlowStats.Read(ref r));
        }

        return new FlowStatsReply(list);
    }

    private static AggregateStatsReply ReadAggregate(ref WireReader r)
    {
        var reply = new AggregateStatsReply(r.U64("packet_count"), r.U64("byte_count"), r.U32("flow_count"));
        r.Pad(4, "aggregate padding");
        return reply;
    }
}
