namespace SwitchGate.OpenFlow;

// OFPMP_GROUP_DESC, OFPMP_GROUP and OFPMP_GROUP_FEATURES: group descriptions, statistics and features. Part of
// OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5).

/// <summary>OFPMP_GROUP_DESC request (empty body).</summary>
public sealed record GroupDescRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.GroupDesc;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>ofp_group_desc.</summary>
public sealed record GroupDesc(GroupType GroupType, uint GroupId, IReadOnlyList<Bucket> Buckets)
{
    public int Length => 8 + Bucket.ListLength(Buckets);
}

/// <summary>OFPMP_GROUP_DESC reply.</summary>
public sealed record GroupDescReply(IReadOnlyList<GroupDesc> Groups) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.GroupDesc;

    internal override int Length => Groups.Sum(g => g.Length);

    internal override void Write(ref WireWriter w)
    {
        foreach (var g in Groups)
        {
            w.U16((ushort)g.Length);
            w.U8((byte)g.GroupType);
            w.Zeros(1);
            w.U32(g.GroupId);
            foreach (var b in g.Buckets)
            {
                b.Write(ref w);
            }
        }
    }
}

/// <summary>OFPMP_GROUP request (ofp_group_stats_request); the reply body stays opaque.</summary>
public sealed record GroupStatsRequest(uint GroupId = OfpGroup.All) : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.Group;

    internal override int Length => 8;

    internal override void Write(ref WireWriter w)
    {
        w.U32(GroupId);
        w.Zeros(4);
    }
}

/// <summary>ofp_bucket_counter.</summary>
public sealed record BucketCounter(ulong PacketCount, ulong ByteCount);

/// <summary>ofp_group_stats.</summary>
public sealed record GroupStats(uint GroupId, uint RefCount, ulong PacketCount, ulong ByteCount, uint DurationSec, uint DurationNsec, IReadOnlyList<BucketCounter> BucketStats)
{
    public int Length => 40 + (16 * BucketStats.Count);
}

/// <summary>OFPMP_GROUP reply.</summary>
public sealed record GroupStatsReply(IReadOnlyList<GroupStats> Stats) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.Group;

    internal override int Length => Stats.Sum(s => s.Length);

    internal override void Write(ref WireWriter w)
    {
        foreach (var s in Stats)
        {
            w.U16((ushort)s.Length);
            w.Zeros(2);
            w.U32(s.GroupId);
            w.U32(s.RefCount);
            w.Zeros(4);
            w.U64(s.PacketCount);
            w.U64(s.ByteCount);
            w.U32(s.DurationSec);
            w.U32(s.DurationNsec);
            foreach (var b in s.BucketStats)
            {
                w.U64(b.PacketCount);
                w.U64(b.ByteCount);
            }
        }
    }
}

/// <summary>OFPMP_GROUP_FEATURES request (empty body).</summary>
public sealed record GroupFeaturesRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.GroupFeatures;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>
/// OFPMP_GROUP_FEATURES reply (ofp_group_features): bitmaps of supported group types and capabilities, and per
/// group type (index = ofp_group_type) the maximum number of groups and the bitmap of supported action types.
/// </summary>
public sealed record GroupFeaturesReply(uint Types, uint Capabilities, IReadOnlyList<uint> MaxGroups, IReadOnlyList<uint> Actions) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.GroupFeatures;

    internal override int Length => MaxGroups.Count == 4 && Actions.Count == 4
        ? 40
        : throw new ArgumentException("ofp_group_features has exactly 4 max_groups and 4 actions entries");

    internal override void Write(ref WireWriter w)
    {
        w.U32(Types);
        w.U32(Capabilities);
        foreach (var m in MaxGroups)
        {
            w.U32(m);
        }

        foreach (var a in Actions)
        {
            w.U32(a);
        }
    }
}

internal static partial class MultipartReader
{
    private static GroupDescReply ReadGroupDesc(ref WireReader r)
    {
        var list = new List<GroupDesc>();
        while (r.Remaining > 0)
        {
            var length = r.U16("group_desc length");
            if (length < 8 || length % 8 != 0)
            {
                throw r.Fail($"group_desc length {length} is not a multiple of 8 of at least 8");
            }

            if (length - 2 > r.Remaining)
            {
                throw r.Fail($"group_desc length {length} exceeds the {r.Remaining + 2} bytes left");
            }

            var g = r.Sub(length - 2, "group_desc");
            var type = (GroupType)g.U8("type");
            g.Pad(1, "group_desc padding");
            var id = g.U32("group_id");
            list.Add(new GroupDesc(type, id, Bucket.ReadList(ref g)));
        }

        return new GroupDescReply(list);
    }

    private static GroupStatsReply ReadGroupStats(ref WireReader r)
    {
        var list = new List<GroupStats>();
        while (r.Remaining > 0)
        {
            var length = r.U16("group_stats length");
            if (length < 40 || (length - 40) % 16 != 0)
            {
                throw r.Fail($"group_stats length {length} is not 40 plus a multiple of 16");
            }

            if (length - 2 > r.Remaining)
            {
                throw r.Fail($"group_stats length {length} exceeds the {r.Remaining + 2} bytes left");
            }

            var g = r.Sub(length - 2, "group_stats");
            g.Pad(2, "group_stats padding");
            var groupId = g.U32("group_id");
            var refCount = g.U32("ref_count");
            g.Pad(4, "group_stats padding");
            var packets = g.U64("packet_count");
            var bytes = g.U64("byte_count");
            var sec = g.U32("duration_sec");
            var nsec = g.U32("duration_nsec");
            var buckets = new List<BucketCounter>();
            while (g.Remaining > 0)
            {
                buckets.Add(new BucketCounter(g.U64("bucket packet_count"), g.U64("bucket byte_count")));
            }

            list.Add(new GroupStats(groupId, refCount, packets, bytes, sec, nsec, buckets));
        }

        return new GroupStatsReply(list);
    }

    private static GroupFeaturesReply ReadGroupFeatures(ref WireReader r)
    {
        var types = r.U32("types");
        var capabilities = r.U32("capabilities");
        var maxGroups = new uint[4];
        for (var i = 0; i < 4; i++)
        {
            maxGroups[i] = r.U32("max_groups");
        }

        var actions = new uint[4];
        for (var i = 0; i < 4; i++)
        {
            actions[i] = r.U32("actions");
        }

        return new GroupFeaturesReply(types, capabilities, maxGroups, actions);
    }
}
