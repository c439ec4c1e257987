namespace SwitchGate.OpenFlow;

// OFPMP_TABLE: table statistics. Part of OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5).

/// <summary>OFPMP_TABLE request (empty body).</summary>
public sealed record TableStatsRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.Table;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>ofp_table_stats.</summary>
public sealed record TableStats(byte TableId, uint ActiveCount, ulong LookupCount, ulong MatchedCount)
{
    public const int WireLength = 24;
}

/// <summary>OFPMP_TABLE reply.</summary>
public sealed record TableStatsReply(IReadOnlyList<TableStats> Stats) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.Table;

    internal override int Length => Stats.Count * TableStats.WireLength;

    internal override void Write(ref WireWriter w)
    {
        foreach (var s in Stats)
        {
            w.U8(s.TableId);
            w.Zeros(3);
            w.U32(s.ActiveCount);
            w.U64(s.LookupCount);
            w.U64(s.MatchedCount);
        }
    }
}

internal static partial class MultipartReader
{
    private static TableStatsReply ReadTableStats(ref WireReader r)
    {
        if (r.Remaining % TableStats.WireLength != 0)
        {
            throw r.Fail($"table stats body of {r.Remaining} bytes is not a multiple of {TableStats.WireLength}");
        }

        var list = new List<TableStats>();
        while (r.Remaining > 0)
        {
            var tableId = r.U8("table_id");
            r.Pad(3, "table_stats padding");
            list.Add(new TableStats(tableId, r.U32("active_count"), r.U64("lookup_count"), r.U64("matched_count")));
        }

        return new TableStatsReply(list);
    }
}
