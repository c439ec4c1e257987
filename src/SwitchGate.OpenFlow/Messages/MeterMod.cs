namespace SwitchGate.OpenFlow;

// OFPT_METER_MOD and its meter bands (OpenFlow 1.3.5 §7.3.4.4). Each record writes its body after the header;
// OfpCodec reads them.

/// <summary>A meter band (§7.3.4.4): ofp_meter_band_header is type, len, rate, burst_size.</summary>
public abstract record MeterBand(uint Rate, uint BurstSize)
{
    public abstract MeterBandType BandType { get; }

    public abstract int Length { get; }

    internal abstract void WriteRest(ref WireWriter w);

    internal void Write(ref WireWriter w)
    {
        w.U16((ushort)BandType);
        w.U16((ushort)Length);
        w.U32(Rate);
        w.U32(BurstSize);
        WriteRest(ref w);
    }

    internal static int ListLength(IReadOnlyList<MeterBand> bands) => bands.Sum(b => b.Length);

    internal static void WriteList(ref WireWriter w, IReadOnlyList<MeterBand> bands)
    {
        foreach (var b in bands)
        {
            b.Write(ref w);
        }
    }

    internal static IReadOnlyList<MeterBand> ReadList(ref WireReader r)
    {
        var list = new List<MeterBand>();
        while (r.Remaining > 0)
        {
            var type = r.U16("meter band type");
            var length = r.U16("meter band length");
            if (length < 16 || length % 8 != 0)
            {
                throw r.Fail($"meter band type {type} length {length} is not a multiple of 8 of at least 16");
            }

            if (length - 4 > r.Remaining)
            {
                throw r.Fail($"meter band length {length} exceeds the {r.Remaining + 4} bytes left");
            }

            var b = r.Sub(length - 4, "meter band");
            var rate = b.U32("rate");
            var burst = b.U32("burst_size");
            switch ((MeterBandType)type)
            {
                case MeterBandType.Drop:
                    b.Pad(4, "meter band padding");
                    list.Add(new MeterBandDrop(rate, burst));
                    break;
                case MeterBandType.DscpRemark:
                    var prec = b.U8("prec_level");
                    b.Pad(3, "meter band padding");
                    list.Add(new MeterBandDscpRemark(rate, burst, prec));
                    break;
                case MeterBandType.Experimenter:
                    list.Add(new MeterBandExperimenter(rate, burst, b.U32("experimenter"), b.Rest().ToArray()));
                    break;
                default:
                    throw r.Fail($"unknown meter band type {type}");
            }

            b.End($"meter band {(MeterBandType)type}");
        }

        return list;
    }
}

/// <summary>OFPMBT_DROP.</summary>
public sealed record MeterBandDrop(uint Rate, uint BurstSize) : MeterBand(Rate, BurstSize)
{
    public override MeterBandType BandType => MeterBandType.Drop;

    public override int Length => 16;

    internal override void WriteRest(ref WireWriter w) => w.Zeros(4);
}

/// <summary>OFPMBT_DSCP_REMARK.</summary>
public sealed record MeterBandDscpRemark(uint Rate, uint BurstSize, byte PrecLevel) : MeterBand(Rate, BurstSize)
{
    public override MeterBandType BandType => MeterBandType.DscpRemark;

    public override int Length => 16;

    internal override void WriteRest(ref WireWriter w)
    {
        w.U8(PrecLevel);
        w.Zeros(3);
    }
}

/// <summary>OFPMBT_EXPERIMENTER, opaque after the experimenter id (16 + Data.Length must be a multiple of 8).</summary>
public sealed record MeterBandExperimenter(uint Rate, uint BurstSize, uint Experimenter, byte[] Data) : MeterBand(Rate, BurstSize)
{
    public MeterBandExperimenter(uint rate, uint burstSize, uint experimenter)
        : this(rate, burstSize, experimenter, Array.Empty<byte>())
    {
    }

    public override MeterBandType BandType => MeterBandType.Experimenter;

    public override int Length => (16 + Data.Length) % 8 == 0
        ? 16 + Data.Length
        : throw new ArgumentException($"experimenter meter band data of {Data.Length} bytes does not make a multiple of 8");

    internal override void WriteRest(ref WireWriter w)
    {
        w.U32(Experimenter);
        w.Bytes(Data);
    }

    public bool Equals(MeterBandExperimenter? other) =>
        other is not null && Rate == other.Rate && BurstSize == other.BurstSize && Experimenter == other.Experimenter && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Rate, BurstSize, Experimenter);
}

/// <summary>OFPT_METER_MOD (§7.3.4.4).</summary>
public sealed record MeterMod(MeterModCommand Command, MeterFlags Flags, uint MeterId, IReadOnlyList<MeterBand> Bands) : OfpMessage
{
    public override OfpType Type => OfpType.MeterMod;

    internal override int BodyLength => 8 + MeterBand.ListLength(Bands);

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16((ushort)Command);
        w.U16((ushort)Flags);
        w.U32(MeterId);
        MeterBand.WriteList(ref w, Bands);
    }
}
