namespace SwitchGate.OpenFlow;

// OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5): type, flags, pad[4], body. Typed bodies for the types a
// controller uses; the others are kept as raw body bytes that re-encode exactly.

/// <summary>OFPT_MULTIPART_REQUEST.</summary>
public sealed record MultipartRequest(MultipartRequestBody Body) : OfpMessage
{
    public override OfpType Type => OfpType.MultipartRequest;

    public MultipartType MultipartType => Body.MultipartType;

    public MultipartFlags Flags { get; init; }

    internal override int BodyLength => 8 + Body.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16((ushort)MultipartType);
        w.U16((ushort)Flags);
        w.Zeros(4);
        Body.Write(ref w);
    }
}

/// <summary>OFPT_MULTIPART_REPLY.</summary>
public sealed record MultipartReply(MultipartReplyBody Body) : OfpMessage
{
    public override OfpType Type => OfpType.MultipartReply;

    public MultipartType MultipartType => Body.MultipartType;

    /// <summary><see cref="MultipartFlags.ReplyMore"/> when more replies of this request follow.</summary>
    public MultipartFlags Flags { get; init; }

    internal override int BodyLength => 8 + Body.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16((ushort)MultipartType);
        w.U16((ushort)Flags);
        w.Zeros(4);
        Body.Write(ref w);
    }
}

public abstract record MultipartRequestBody
{
    public abstract MultipartType MultipartType { get; }

    internal abstract int Length { get; }

    internal abstract void Write(ref WireWriter w);
}

public abstract record MultipartReplyBody
{
    public abstract MultipartType MultipartType { get; }

    internal abstract int Length { get; }

    internal abstract void Write(ref WireWriter w);
}

/// <summary>OFPMP_DESC request (empty body).</summary>
public sealed record DescRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.Desc;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>OFPMP_DESC reply (ofp_desc).</summary>
public sealed record DescReply(string MfrDesc, string HwDesc, string SwDesc, string SerialNum, string DpDesc) : MultipartReplyBody
{
    /// <summary>DESC_STR_LEN.</summary>
    public const int DescStrLen = 256;

    /// <summary>SERIAL_NUM_LEN.</summary>
    public const int SerialNumLen = 32;

    public override MultipartType MultipartType => MultipartType.Desc;

    internal override int Length => (4 * DescStrLen) + SerialNumLen;

    internal override void Write(ref WireWriter w)
    {
        w.FixedString(MfrDesc, DescStrLen, "mfr_desc");
        w.FixedString(HwDesc, DescStrLen, "hw_desc");
        w.FixedString(SwDesc, DescStrLen, "sw_desc");
        w.FixedString(SerialNum, SerialNumLen, "serial_num");
        w.FixedString(DpDesc, DescStrLen, "dp_desc");
    }

    internal static DescReply Read(ref WireReader r) => new(
        r.FixedString(DescStrLen, "mfr_desc"),
        r.FixedString(DescStrLen, "hw_desc"),
        r.FixedString(DescStrLen, "sw_desc"),
        r.FixedString(SerialNumLen, "serial_num"),
        r.FixedString(DescStrLen, "dp_desc"));
}

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

/// <summary>OFPMP_PORT_DESC request (empty body).</summary>
public sealed record PortDescRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.PortDesc;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>OFPMP_PORT_DESC reply: the switch's ports.</summary>
public sealed record PortDescReply(IReadOnlyList<PortDesc> Ports) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.PortDesc;

    internal override int Length => Ports.Count * PortDesc.WireLength;

    internal override void Write(ref WireWriter w)
    {
        foreach (var p in Ports)
        {
            p.Write(ref w);
        }
    }
}

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

/// <summary>OFPMP_METER_CONFIG request (ofp_meter_multipart_request).</summary>
public sealed record MeterConfigRequest(uint MeterId = OfpMeter.All) : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.MeterConfig;

    internal override int Length => 8;

    internal override void Write(ref WireWriter w)
    {
        w.U32(MeterId);
        w.Zeros(4);
    }
}

/// <summary>ofp_meter_config.</summary>
public sealed record MeterConfig(MeterFlags Flags, uint MeterId, IReadOnlyList<MeterBand> Bands)
{
    public int Length => 8 + MeterBand.ListLength(Bands);
}

/// <summary>OFPMP_METER_CONFIG reply.</summary>
public sealed record MeterConfigReply(IReadOnlyList<MeterConfig> Meters) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.MeterConfig;

    internal override int Length => Meters.Sum(m => m.Length);

    internal override void Write(ref WireWriter w)
    {
        foreach (var m in Meters)
        {
            w.U16((ushort)m.Length);
            w.U16((ushort)m.Flags);
            w.U32(m.MeterId);
            MeterBand.WriteList(ref w, m.Bands);
        }
    }
}

/// <summary>OFPMP_METER request (ofp_meter_multipart_request); the reply body stays opaque.</summary>
public sealed record MeterStatsRequest(uint MeterId = OfpMeter.All) : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.Meter;

    internal override int Length => 8;

    internal override void Write(ref WireWriter w)
    {
        w.U32(MeterId);
        w.Zeros(4);
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

/// <summary>OFPMP_GROUP_FEATURES request (empty body).</summary>
public sealed record GroupFeaturesRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.GroupFeatures;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>OFPMP_METER_FEATURES request (empty body).</summary>
public sealed record MeterFeaturesRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.MeterFeatures;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
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

/// <summary>ofp_meter_band_stats.</summary>
public sealed record MeterBandStats(ulong PacketBandCount, ulong ByteBandCount);

/// <summary>ofp_meter_stats.</summary>
public sealed record MeterStats(uint MeterId, uint FlowCount, ulong PacketInCount, ulong ByteInCount, uint DurationSec, uint DurationNsec, IReadOnlyList<MeterBandStats> BandStats)
{
    public int Length => 40 + (16 * BandStats.Count);
}

/// <summary>OFPMP_METER reply.</summary>
public sealed record MeterStatsReply(IReadOnlyList<MeterStats> Stats) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.Meter;

    internal override int Length => Stats.Sum(s => s.Length);

    internal override void Write(ref WireWriter w)
    {
        foreach (var s in Stats)
        {
            w.U32(s.MeterId);
            w.U16((ushort)s.Length);
            w.Zeros(6);
            w.U32(s.FlowCount);
            w.U64(s.PacketInCount);
            w.U64(s.ByteInCount);
            w.U32(s.DurationSec);
            w.U32(s.DurationNsec);
            foreach (var b in s.BandStats)
            {
                w.U64(b.PacketBandCount);
                w.U64(b.ByteBandCount);
            }
        }
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

/// <summary>OFPMP_METER_FEATURES reply (ofp_meter_features).</summary>
public sealed record MeterFeaturesReply(uint MaxMeter, uint BandTypes, uint Capabilities, byte MaxBands, byte MaxColor) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.MeterFeatures;

    internal override int Length => 16;

    internal override void Write(ref WireWriter w)
    {
        w.U32(MaxMeter);
        w.U32(BandTypes);
        w.U32(Capabilities);
        w.U8(MaxBands);
        w.U8(MaxColor);
        w.Zeros(2);
    }
}

/// <summary>OFPMP_EXPERIMENTER request (ofp_experimenter_multipart_header + opaque data).</summary>
public sealed record ExperimenterMultipartRequest(uint Experimenter, uint ExpType, byte[] Data) : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.Experimenter;

    internal override int Length => 8 + Data.Length;

    internal override void Write(ref WireWriter w)
    {
        w.U32(Experimenter);
        w.U32(ExpType);
        w.Bytes(Data);
    }
}

/// <summary>OFPMP_EXPERIMENTER reply.</summary>
public sealed record ExperimenterMultipartReply(uint Experimenter, uint ExpType, byte[] Data) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.Experimenter;

    internal override int Length => 8 + Data.Length;

    internal override void Write(ref WireWriter w)
    {
        w.U32(Experimenter);
        w.U32(ExpType);
        w.Bytes(Data);
    }
}

/// <summary>A request body of a type without a typed model here (QUEUE, GROUP, METER, TABLE_FEATURES, ...), kept opaque.</summary>
public sealed record RawMultipartRequest(MultipartType Kind, byte[] Body) : MultipartRequestBody
{
    public override MultipartType MultipartType => Kind;

    internal override int Length => Body.Length;

    internal override void Write(ref WireWriter w) => w.Bytes(Body);
}

/// <summary>A reply body of a type without a typed model here, kept opaque.</summary>
public sealed record RawMultipartReply(MultipartType Kind, byte[] Body) : MultipartReplyBody
{
    public override MultipartType MultipartType => Kind;

    internal override int Length => Body.Length;

    internal override void Write(ref WireWriter w) => w.Bytes(Body);
}

internal static class MultipartReader
{
    public static MultipartRequestBody ReadRequest(MultipartType type, ref WireReader r)
    {
        MultipartRequestBody body = type switch
        {
            MultipartType.Desc => new DescRequest(),
            MultipartType.Flow => FlowFilterRequest.Read<FlowStatsRequest>(ref r),
            MultipartType.Aggregate => FlowFilterRequest.Read<AggregateStatsRequest>(ref r),
            MultipartType.Table => new TableStatsRequest(),
            MultipartType.PortStats => ReadPortStatsRequest(ref r),
            MultipartType.PortDesc => new PortDescRequest(),
            MultipartType.GroupDesc => new GroupDescRequest(),
            MultipartType.MeterConfig => new MeterConfigRequest(ReadIdAndPad(ref r, "meter_id")),
            MultipartType.Meter => new MeterStatsRequest(ReadIdAndPad(ref r, "meter_id")),
            MultipartType.Group => new GroupStatsRequest(ReadIdAndPad(ref r, "group_id")),
            MultipartType.Queue => new QueueStatsRequest(r.U32("port_no"), r.U32("queue_id")),
            MultipartType.GroupFeatures => new GroupFeaturesRequest(),
            MultipartType.MeterFeatures => new MeterFeaturesRequest(),
            MultipartType.Experimenter => new ExperimenterMultipartRequest(r.U32("experimenter"), r.U32("exp_type"), r.Rest().ToArray()),
            _ when Enum.IsDefined(type) => new RawMultipartRequest(type, r.Rest().ToArray()),
            _ => throw r.Fail($"unknown multipart type {(ushort)type}"),
        };
        r.End($"multipart request body {type}");
        return body;
    }

    private static PortStatsRequest ReadPortStatsRequest(ref WireReader r)
    {
        var port = r.U32("port_no");
        r.Pad(4, "request padding");
        return new PortStatsRequest(port);
    }

    private static uint ReadIdAndPad(ref WireReader r, string what)
    {
        var id = r.U32(what);
        r.Pad(4, "request padding");
        return id;
    }

    public static MultipartReplyBody ReadReply(MultipartType type, ref WireReader r)
    {
        MultipartReplyBody body = type switch
        {
            MultipartType.Desc => DescReply.Read(ref r),
            MultipartType.Flow => ReadFlowStats(ref r),
            MultipartType.Aggregate => ReadAggregate(ref r),
            MultipartType.Table => ReadTableStats(ref r),
            MultipartType.PortStats => ReadPortStats(ref r),
            MultipartType.PortDesc => ReadPortDesc(ref r),
            MultipartType.GroupDesc => ReadGroupDesc(ref r),
            MultipartType.MeterConfig => ReadMeterConfig(ref r),
            MultipartType.Queue => ReadQueueStats(ref r),
            MultipartType.Group => ReadGroupStats(ref r),
            MultipartType.Meter => ReadMeterStats(ref r),
            MultipartType.GroupFeatures => ReadGroupFeatures(ref r),
            MultipartType.MeterFeatures => ReadMeterFeatures(ref r),
            MultipartType.Experimenter => new ExperimenterMultipartReply(r.U32("experimenter"), r.U32("exp_type"), r.Rest().ToArray()),
            _ when Enum.IsDefined(type) => new RawMultipartReply(type, r.Rest().ToArray()),
            _ => throw r.Fail($"unknown multipart type {(ushort)type}"),
        };
        r.End($"multipart reply body {type}");
        return body;
    }

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

    private static PortDescReply ReadPortDesc(ref WireReader r)
    {
        if (r.Remaining % PortDesc.WireLength != 0)
        {
            throw r.Fail($"port desc body of {r.Remaining} bytes is not a multiple of {PortDesc.WireLength}");
        }

        var list = new List<PortDesc>();
        while (r.Remaining > 0)
        {
            list.Add(PortDesc.Read(ref r));
        }

        return new PortDescReply(list);
    }

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

    private static MeterStatsReply ReadMeterStats(ref WireReader r)
    {
        var list = new List<MeterStats>();
        while (r.Remaining > 0)
        {
            var meterId = r.U32("meter_id");
            var length = r.U16("meter_stats len");
            if (length < 40 || (length - 40) % 16 != 0)
            {
                throw r.Fail($"meter_stats len {length} is not 40 plus a multiple of 16");
            }

            if (length - 6 > r.Remaining)
            {
                throw r.Fail($"meter_stats len {length} exceeds the {r.Remaining + 6} bytes left");
            }

            var m = r.Sub(length - 6, "meter_stats");
            m.Pad(6, "meter_stats padding");
            var flows = m.U32("flow_count");
            var packets = m.U64("packet_in_count");
            var bytes = m.U64("byte_in_count");
            var sec = m.U32("duration_sec");
            var nsec = m.U32("duration_nsec");
            var bands = new List<MeterBandStats>();
            while (m.Remaining > 0)
            {
                bands.Add(new MeterBandStats(m.U64("packet_band_count"), m.U64("byte_band_count")));
            }

            list.Add(new MeterStats(meterId, flows, packets, bytes, sec, nsec, bands));
        }

        return new MeterStatsReply(list);
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

    private static MeterFeaturesReply ReadMeterFeatures(ref WireReader r)
    {
        var reply = new MeterFeaturesReply(r.U32("max_meter"), r.U32("band_types"), r.U32("capabilities"), r.U8("max_bands"), r.U8("max_color"));
        r.Pad(2, "meter_features padding");
        return reply;
    }

    private static MeterConfigReply ReadMeterConfig(ref WireReader r)
    {
        var list = new List<MeterConfig>();
        while (r.Remaining > 0)
        {
            var length = r.U16("meter_config length");
            if (length < 8 || length % 8 != 0)
            {
                throw r.Fail($"meter_config length {length} is not a multiple of 8 of at least 8");
            }

            if (length - 2 > r.Remaining)
            {
                throw r.Fail($"meter_config length {length} exceeds the {r.Remaining + 2} bytes left");
            }

            var m = r.Sub(length - 2, "meter_config");
            var flags = (MeterFlags)m.U16("flags");
            var id = m.U32("meter_id");
            list.Add(new MeterConfig(flags, id, MeterBand.ReadList(ref m)));
        }

        return new MeterConfigReply(list);
    }
}
