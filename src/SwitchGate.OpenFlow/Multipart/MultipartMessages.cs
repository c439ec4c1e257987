namespace SwitchGate.OpenFlow;

// OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5): type, flags, pad[4], body. Typed bodies for the types a
// controller uses; the others are kept as raw body bytes that re-encode exactly.

/// <summary>The header a request and a reply share before the body: type, flags, pad[4] (§7.3.5).</summary>
internal static class MultipartHeader
{
    public const int Length = 8;

    public static void Write(ref WireWriter w, MultipartType type, MultipartFlags flags)
    {
        w.U16((ushort)type);
        w.U16((ushort)flags);
        w.Zeros(4);
    }
}

/// <summary>OFPT_MULTIPART_REQUEST.</summary>
public sealed record MultipartRequest(MultipartRequestBody Body) : OfpMessage
{
    public override OfpType Type => OfpType.MultipartRequest;

    public MultipartType MultipartType => Body.MultipartType;

    public MultipartFlags Flags { get; init; }

    internal override int BodyLength => MultipartHeader.Length + Body.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        MultipartHeader.Write(ref w, MultipartType, Flags);
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

    internal override int BodyLength => MultipartHeader.Length + Body.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        MultipartHeader.Write(ref w, MultipartType, Flags);
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

internal static partial class MultipartReader
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
}
