namespace SwitchGate.OpenFlow;

// OFPMP_METER_CONFIG, OFPMP_METER and OFPMP_METER_FEATURES: meter configuration, statistics and features. Part of
// OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5).

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

/// <summary>OFPMP_METER_FEATURES request (empty body).</summary>
public sealed record MeterFeaturesRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.MeterFeatures;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
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

internal static partial class MultipartReader
{
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

    private static MeterFeaturesReply ReadMeterFeatures(ref WireReader r)
    {
        var reply = new MeterFeaturesReply(r.U32("max_meter"), r.U32("band_types"), r.U32("capabilities"), r.U8("max_bands"), r.U8("max_color"));
        r.Pad(2, "meter_features padding");
        return reply;
    }
}
