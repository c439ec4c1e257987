namespace SwitchGate.OpenFlow;

// Messages of OpenFlow 1.3.5 chapter 7. Each record writes its body after the header; OfpCodec reads them.

/// <summary>A hello element (§7.5.1).</summary>
public abstract record HelloElement
{
    public abstract ushort ElementType { get; }

    /// <summary>ofp_hello_elem_header.length: header plus contents, without padding.</summary>
    public abstract int Length { get; }

    internal abstract void WriteContents(ref WireWriter w);
}

/// <summary>OFPHET_VERSIONBITMAP: bit n of the bitmaps (bitmap i covers versions 32*i..32*i+31) is set if version n is supported.</summary>
public sealed record HelloElemVersionBitmap(IReadOnlyList<uint> Bitmaps) : HelloElement
{
    public override ushort ElementType => (ushort)HelloElementType.VersionBitmap;

    public override int Length => 4 + (4 * Bitmaps.Count);

    public bool Supports(byte version)
    {
        var index = version / 32;
        return index < Bitmaps.Count && (Bitmaps[index] & (1u << (version % 32))) != 0;
    }

    public IReadOnlyList<byte> Versions
    {
        get
        {
            var list = new List<byte>();
            for (var v = 0; v < Bitmaps.Count * 32 && v < 256; v++)
            {
                if (Supports((byte)v))
                {
                    list.Add((byte)v);
                }
            }

            return list;
        }
    }

    public static HelloElemVersionBitmap FromVersions(params byte[] versions)
    {
        var bitmaps = new uint[versions.Length == 0 ? 1 : (versions.Max() / 32) + 1];
        foreach (var v in versions)
        {
            bitmaps[v / 32] |= 1u << (v % 32);
        }

        return new HelloElemVersionBitmap(bitmaps);
    }

    internal override void WriteContents(ref WireWriter w)
    {
        foreach (var b in Bitmaps)
        {
            w.U32(b);
        }
    }

    public bool Equals(HelloElemVersionBitmap? other) => other is not null && Bitmaps.SequenceEqual(other.Bitmaps);

    public override int GetHashCode() => Bitmaps.Count;
}

/// <summary>A hello element of a type this codec does not know; the spec says to ignore it, we keep it to re-encode it.</summary>
public sealed record HelloElemUnknown(ushort Type, byte[] Data) : HelloElement
{
    public override ushort ElementType => Type;

    public override int Length => 4 + Data.Length;

    internal override void WriteContents(ref WireWriter w) => w.Bytes(Data);
}

/// <summary>OFPT_HELLO (§7.5.1). Decodes at any header version so the session can negotiate (§6.3.1).</summary>
public sealed record Hello(IReadOnlyList<HelloElement> Elements) : OfpMessage
{
    public Hello()
        : this(Array.Empty<HelloElement>())
    {
    }

    public override OfpType Type => OfpType.Hello;

    /// <summary>The header version: the highest version the sender supports.</summary>
    public byte Version { get; init; } = OfpConstants.Version;

    internal override byte HeaderVersion => Version;

    /// <summary>A version-4 HELLO whose bitmap lists <paramref name="versions"/>.</summary>
    public static Hello VersionBitmap(params byte[] versions) =>
        new([HelloElemVersionBitmap.FromVersions(versions)]) { Version = versions.Length == 0 ? OfpConstants.Version : versions.Max() };

    public HelloElemVersionBitmap? Bitmap => Elements.OfType<HelloElemVersionBitmap>().FirstOrDefault();

    /// <summary>With a bitmap: whether it has the version's bit. Without: whether the header version is at least it (§6.3.1).</summary>
    public bool SupportsVersion(byte version) => Bitmap is { } b ? b.Supports(version) : version <= Version;

    internal override int BodyLength => Elements.Sum(e => Wire.Pad8(e.Length));

    internal override void WriteBody(ref WireWriter w)
    {
        foreach (var e in Elements)
        {
            var start = w.Position;
            w.U16(e.ElementType);
            w.U16((ushort)e.Length);
            e.WriteContents(ref w);
            w.PadTo8(start);
        }
    }

    internal static Hello Read(ref WireReader r, byte version)
    {
        var elements = new List<HelloElement>();
        while (r.Remaining > 0)
        {
            var type = r.U16("hello element type");
            var length = r.U16("hello element length");
            if (length < 4)
            {
                throw r.Fail($"hello element length {length} is less than its 4-byte header");
            }

            var padded = Wire.Pad8(length);
            if (padded - 4 > r.Remaining)
            {
                throw r.Fail($"hello element length {length} (padded to {padded}) exceeds the {r.Remaining + 4} bytes left");
            }

            var contents = r.Bytes(length - 4, "hello element");
            r.Pad(padded - length, "hello element padding");
            if (type == (ushort)HelloElementType.VersionBitmap)
            {
                if (contents.Length % 4 != 0)
                {
                    throw r.Fail($"version bitmap length {length} is not 4 plus a multiple of 4");
                }

                var bitmaps = new uint[contents.Length / 4];
                for (var i = 0; i < bitmaps.Length; i++)
                {
                    bitmaps[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(contents[(4 * i)..]);
                }

                elements.Add(new HelloElemVersionBitmap(bitmaps));
            }
            else
            {
                elements.Add(new HelloElemUnknown(type, contents.ToArray()));
            }
        }

        return new Hello(elements) { Version = version };
    }
}

/// <summary>OFPT_ERROR (§7.4.4) with a standard error type (not 0xffff).</summary>
public sealed record ErrorMsg(ushort ErrorType, ushort Code, byte[] Data) : OfpMessage
{
    public ErrorMsg(SwitchGate.OpenFlow.ErrorType errorType, ushort code, byte[] data)
        : this((ushort)errorType, code, data)
    {
    }

    public override OfpType Type => OfpType.Error;

    public SwitchGate.OpenFlow.ErrorType KnownErrorType => (SwitchGate.OpenFlow.ErrorType)ErrorType;

    internal override int BodyLength => ErrorType == (ushort)SwitchGate.OpenFlow.ErrorType.Experimenter
        ? throw new ArgumentException("error type 0xffff is OFPET_EXPERIMENTER: use ErrorExperimenterMsg")
        : 4 + Data.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16(ErrorType);
        w.U16(Code);
        w.Bytes(Data);
    }

    public override string ToString() => $"ErrorMsg {{ Xid = {Xid}, ErrorType = {KnownErrorType}, Code = {Code}, Data = {Data.Length} bytes }}";
}

/// <summary>OFPT_ERROR with type OFPET_EXPERIMENTER (ofp_error_experimenter_msg).</summary>
public sealed record ErrorExperimenterMsg(ushort ExpType, uint Experimenter, byte[] Data) : OfpMessage
{
    public override OfpType Type => OfpType.Error;

    internal override int BodyLength => 8 + Data.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16((ushort)ErrorType.Experimenter);
        w.U16(ExpType);
        w.U32(Experimenter);
        w.Bytes(Data);
    }
}

/// <summary>OFPT_ECHO_REQUEST.</summary>
public sealed record EchoRequest(byte[] Data) : OfpMessage
{
    public EchoRequest()
        : this(Array.Empty<byte>())
    {
    }

    public override OfpType Type => OfpType.EchoRequest;

    internal override int BodyLength => Data.Length;

    internal override void WriteBody(ref WireWriter w) => w.Bytes(Data);
}

/// <summary>OFPT_ECHO_REPLY.</summary>
public sealed record EchoReply(byte[] Data) : OfpMessage
{
    public EchoReply()
        : this(Array.Empty<byte>())
    {
    }

    public override OfpType Type => OfpType.EchoReply;

    internal override int BodyLength => Data.Length;

    internal override void WriteBody(ref WireWriter w) => w.Bytes(Data);
}

/// <summary>OFPT_EXPERIMENTER (§7.5.4), opaque.</summary>
public sealed record ExperimenterMsg(uint Experimenter, uint ExpType, byte[] Data) : OfpMessage
{
    public override OfpType Type => OfpType.Experimenter;

    internal override int BodyLength => 8 + Data.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Experimenter);
        w.U32(ExpType);
        w.Bytes(Data);
    }
}

/// <summary>OFPT_FEATURES_REQUEST.</summary>
public sealed record FeaturesRequest : OfpEmptyMessage
{
    public override OfpType Type => OfpType.FeaturesRequest;
}

/// <summary>OFPT_FEATURES_REPLY (ofp_switch_features, §7.3.1).</summary>
public sealed record FeaturesReply(ulong DatapathId, uint NBuffers, byte NTables, byte AuxiliaryId, Capabilities Capabilities) : OfpMessage
{
    public override OfpType Type => OfpType.FeaturesReply;

    /// <summary>The "reserved" word of ofp_switch_features, kept so that any value re-encodes.</summary>
    public uint Reserved { get; init; }

    internal override int BodyLength => 24;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U64(DatapathId);
        w.U32(NBuffers);
        w.U8(NTables);
        w.U8(AuxiliaryId);
        w.Zeros(2);
        w.U32((uint)Capabilities);
        w.U32(Reserved);
    }
}

/// <summary>OFPT_GET_CONFIG_REQUEST.</summary>
public sealed record GetConfigRequest : OfpEmptyMessage
{
    public override OfpType Type => OfpType.GetConfigRequest;
}

/// <summary>Body of ofp_switch_config (§7.3.2).</summary>
public abstract record SwitchConfigMessage(ushort Flags, ushort MissSendLen) : OfpMessage
{
    internal sealed override int BodyLength => 4;

    internal sealed override void WriteBody(ref WireWriter w)
    {
        w.U16(Flags);
        w.U16(MissSendLen);
    }
}

/// <summary>OFPT_GET_CONFIG_REPLY.</summary>
public sealed record GetConfigReply(ushort Flags, ushort MissSendLen) : SwitchConfigMessage(Flags, MissSendLen)
{
    public override OfpType Type => OfpType.GetConfigReply;
}

/// <summary>OFPT_SET_CONFIG.</summary>
public sealed record SetConfig(ushort Flags, ushort MissSendLen) : SwitchConfigMessage(Flags, MissSendLen)
{
    public override OfpType Type => OfpType.SetConfig;
}

/// <summary>OFPT_PACKET_IN (§7.4.1).</summary>
public sealed record PacketIn(uint BufferId, ushort TotalLen, PacketInReason Reason, byte TableId, ulong Cookie, Match Match, byte[] Data) : OfpMessage
{
    public override OfpType Type => OfpType.PacketIn;

    internal override int BodyLength => 16 + Match.PaddedLength + 2 + Data.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(BufferId);
        w.U16(TotalLen);
        w.U8((byte)Reason);
        w.U8(TableId);
        w.U64(Cookie);
        Match.Write(ref w);
        w.Zeros(2);
        w.Bytes(Data);
    }
}

/// <summary>OFPT_FLOW_REMOVED (§7.4.2).</summary>
public sealed record FlowRemoved(
    ulong Cookie,
    ushort Priority,
    FlowRemovedReason Reason,
    byte TableId,
    uint DurationSec,
    uint DurationNsec,
    ushort IdleTimeout,
    ushort HardTimeout,
    ulong PacketCount,
    ulong ByteCount,
    Match Match) : OfpMessage
{
    public override OfpType Type => OfpType.FlowRemoved;

    internal override int BodyLength => 40 + Match.PaddedLength;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U64(Cookie);
        w.U16(Priority);
        w.U8((byte)Reason);
        w.U8(TableId);
        w.U32(DurationSec);
        w.U32(DurationNsec);
        w.U16(IdleTimeout);
        w.U16(HardTimeout);
        w.U64(PacketCount);
        w.U64(ByteCount);
        Match.Write(ref w);
    }
}

/// <summary>ofp_port (§7.2.1): 64 bytes.</summary>
public sealed record PortDesc(
    uint PortNo,
    MacAddress HwAddr,
    string Name,
    PortConfig Config,
    PortState State,
    uint Curr,
    uint Advertised,
    uint Supported,
    uint Peer,
    uint CurrSpeed,
    uint MaxSpeed)
{
    /// <summary>OFP_MAX_PORT_NAME_LEN.</summary>
    public const int MaxNameLength = 16;

    public const int WireLength = 64;

    internal void Write(ref WireWriter w)
    {
        w.U32(PortNo);
        w.Zeros(4);
        w.Mac(HwAddr);
        w.Zeros(2);
        w.FixedString(Name, MaxNameLength, "port name");
        w.U32((uint)Config);
        w.U32((uint)State);
        w.U32(Curr);
        w.U32(Advertised);
        w.U32(Supported);
        w.U32(Peer);
        w.U32(CurrSpeed);
        w.U32(MaxSpeed);
    }

    internal static PortDesc Read(ref WireReader r)
    {
        var portNo = r.U32("port_no");
        r.Pad(4, "ofp_port padding");
        var mac = r.Mac("hw_addr");
        r.Pad(2, "ofp_port padding");
        return new PortDesc(
            portNo,
            mac,
            r.FixedString(MaxNameLength, "port name"),
            (PortConfig)r.U32("config"),
            (PortState)r.U32("state"),
            r.U32("curr"),
            r.U32("advertised"),
            r.U32("supported"),
            r.U32("peer"),
            r.U32("curr_speed"),
            r.U32("max_speed"));
    }
}

/// <summary>OFPT_PORT_STATUS (§7.4.3).</summary>
public sealed record PortStatus(PortStatusReason Reason, PortDesc Desc) : OfpMessage
{
    public override OfpType Type => OfpType.PortStatus;

    internal override int BodyLength => 8 + PortDesc.WireLength;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8((byte)Reason);
        w.Zeros(7);
        Desc.Write(ref w);
    }
}

/// <summary>OFPT_PACKET_OUT (§7.3.7).</summary>
public sealed record PacketOut(uint BufferId, uint InPort, IReadOnlyList<OfpAction> Actions, byte[] Data) : OfpMessage
{
    public override OfpType Type => OfpType.PacketOut;

    internal override int BodyLength => 16 + OfpAction.ListLength(Actions) + Data.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(BufferId);
        w.U32(InPort);
        w.U16((ushort)OfpAction.ListLength(Actions));
        w.Zeros(6);
        OfpAction.WriteList(ref w, Actions);
        w.Bytes(Data);
    }
}

/// <summary>OFPT_FLOW_MOD (§7.3.4.1).</summary>
public sealed record FlowMod : OfpMessage
{
    public override OfpType Type => OfpType.FlowMod;

    public ulong Cookie { get; init; }

    public ulong CookieMask { get; init; }

    public byte TableId { get; init; }

    public FlowModCommand Command { get; init; } = FlowModCommand.Add;

    public ushort IdleTimeout { get; init; }

    public ushort HardTimeout { get; init; }

    /// <summary>OFP_DEFAULT_PRIORITY.</summary>
    public ushort Priority { get; init; } = 0x8000;

    public uint BufferId { get; init; } = OfpBuffer.NoBuffer;

    public uint OutPort { get; init; } = OfpPort.Any;

    public uint OutGroup { get; init; } = OfpGroup.Any;

    public FlowModFlags Flags { get; init; }

    public Match Match { get; init; } = Match.Empty;

    public IReadOnlyList<OfpInstruction> Instructions { get; init; } = Array.Empty<OfpInstruction>();

    internal override int BodyLength => 40 + Match.PaddedLength + OfpInstruction.ListLength(Instructions);

    internal override void WriteBody(ref WireWriter w)
    {
        w.U64(Cookie);
        w.U64(CookieMask);
        w.U8(TableId);
        w.U8((byte)Command);
        w.U16(IdleTimeout);
        w.U16(HardTimeout);
        w.U16(Priority);
        w.U32(BufferId);
        w.U32(OutPort);
        w.U32(OutGroup);
        w.U16((ushort)Flags);
        w.Zeros(2);
        Match.Write(ref w);
        OfpInstruction.WriteList(ref w, Instructions);
    }

    public bool Equals(FlowMod? other) =>
        other is not null && Xid == other.Xid && Cookie == other.Cookie && CookieMask == other.CookieMask && TableId == other.TableId
        && Command == other.Command && IdleTimeout == other.IdleTimeout && HardTimeout == other.HardTimeout && Priority == other.Priority
        && BufferId == other.BufferId && OutPort == other.OutPort && OutGroup == other.OutGroup && Flags == other.Flags
        && Match.Equals(other.Match) && Instructions.SequenceEqual(other.Instructions);

    public override int GetHashCode() => HashCode.Combine(Xid, Cookie, TableId, Priority, Match);
}

/// <summary>ofp_bucket (§7.3.4.3).</summary>
public sealed record Bucket(ushort Weight, uint WatchPort, uint WatchGroup, IReadOnlyList<OfpAction> Actions)
{
    public Bucket(IReadOnlyList<OfpAction> actions)
        : this(0, OfpPort.Any, OfpGroup.Any, actions)
    {
    }

    public int Length => 16 + OfpAction.ListLength(Actions);

    internal void Write(ref WireWriter w)
    {
        w.U16((ushort)Length);
        w.U16(Weight);
        w.U32(WatchPort);
        w.U32(WatchGroup);
        w.Zeros(4);
        OfpAction.WriteList(ref w, Actions);
    }

    internal static int ListLength(IReadOnlyList<Bucket> buckets) => buckets.Sum(b => b.Length);

    internal static IReadOnlyList<Bucket> ReadList(ref WireReader r)
    {
        var list = new List<Bucket>();
        while (r.Remaining > 0)
        {
            var length = r.U16("bucket length");
            if (length < 16 || length % 8 != 0)
            {
                throw r.Fail($"bucket length {length} is not a multiple of 8 of at least 16");
            }

            if (length - 2 > r.Remaining)
            {
                throw r.Fail($"bucket length {length} exceeds the {r.Remaining + 2} bytes left");
            }

            var b = r.Sub(length - 2, "bucket");
            var weight = b.U16("weight");
            var watchPort = b.U32("watch_port");
            var watchGroup = b.U32("watch_group");
            b.Pad(4, "bucket padding");
            list.Add(new Bucket(weight, watchPort, watchGroup, OfpAction.ReadList(ref b)));
        }

        return list;
    }
}

/// <summary>OFPT_GROUP_MOD (§7.3.4.3).</summary>
public sealed record GroupMod(GroupModCommand Command, GroupType GroupType, uint GroupId, IReadOnlyList<Bucket> Buckets) : OfpMessage
{
    public override OfpType Type => OfpType.GroupMod;

    internal override int BodyLength => 8 + Bucket.ListLength(Buckets);

    internal override void WriteBody(ref WireWriter w)
    {
        w.U16((ushort)Command);
        w.U8((byte)GroupType);
        w.Zeros(1);
        w.U32(GroupId);
        foreach (var b in Buckets)
        {
            b.Write(ref w);
        }
    }
}

/// <summary>OFPT_PORT_MOD (§7.3.4.5).</summary>
public sealed record PortMod(uint PortNo, MacAddress HwAddr, PortConfig Config, PortConfig Mask, uint Advertise) : OfpMessage
{
    public override OfpType Type => OfpType.PortMod;

    internal override int BodyLength => 32;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(PortNo);
        w.Zeros(4);
        w.Mac(HwAddr);
        w.Zeros(2);
        w.U32((uint)Config);
        w.U32((uint)Mask);
        w.U32(Advertise);
        w.Zeros(4);
    }
}

/// <summary>OFPT_TABLE_MOD (§7.3.3).</summary>
public sealed record TableMod(byte TableId, TableConfig Config) : OfpMessage
{
    public override OfpType Type => OfpType.TableMod;

    internal override int BodyLength => 8;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U8(TableId);
        w.Zeros(3);
        w.U32((uint)Config);
    }
}

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

/// <summary>OFPT_BARRIER_REQUEST.</summary>
public sealed record BarrierRequest : OfpEmptyMessage
{
    public override OfpType Type => OfpType.BarrierRequest;
}

/// <summary>OFPT_BARRIER_REPLY.</summary>
public sealed record BarrierReply : OfpEmptyMessage
{
    public override OfpType Type => OfpType.BarrierReply;
}

/// <summary>OFPT_QUEUE_GET_CONFIG_REQUEST (§7.3.6).</summary>
public sealed record QueueGetConfigRequest(uint Port) : OfpMessage
{
    public override OfpType Type => OfpType.QueueGetConfigRequest;

    internal override int BodyLength => 8;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Port);
        w.Zeros(4);
    }
}

/// <summary>OFPT_QUEUE_GET_CONFIG_REPLY; the list of ofp_packet_queue is kept opaque.</summary>
public sealed record QueueGetConfigReply(uint Port, byte[] Queues) : OfpMessage
{
    public override OfpType Type => OfpType.QueueGetConfigReply;

    internal override int BodyLength => 8 + Queues.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Port);
        w.Zeros(4);
        w.Bytes(Queues);
    }
}

/// <summary>Body of ofp_role_request (§7.3.9).</summary>
public abstract record RoleMessage(ControllerRole Role, ulong GenerationId) : OfpMessage
{
    internal sealed override int BodyLength => 16;

    internal sealed override void WriteBody(ref WireWriter w)
    {
        w.U32((uint)Role);
        w.Zeros(4);
        w.U64(GenerationId);
    }
}

/// <summary>OFPT_ROLE_REQUEST.</summary>
public sealed record RoleRequest(ControllerRole Role, ulong GenerationId) : RoleMessage(Role, GenerationId)
{
    public override OfpType Type => OfpType.RoleRequest;
}

/// <summary>OFPT_ROLE_REPLY.</summary>
public sealed record RoleReply(ControllerRole Role, ulong GenerationId) : RoleMessage(Role, GenerationId)
{
    public override OfpType Type => OfpType.RoleReply;
}

/// <summary>OFPT_GET_ASYNC_REQUEST.</summary>
public sealed record GetAsyncRequest : OfpEmptyMessage
{
    public override OfpType Type => OfpType.GetAsyncRequest;
}

/// <summary>
/// ofp_async_config (§7.3.10): for each of packet_in_mask, port_status_mask, flow_removed_mask the spec has two
/// elements, [0] for the master/equal role and [1] for the slave role; bit n set = reason n is sent.
/// </summary>
public abstract record AsyncConfigMessage : OfpMessage
{
    public uint PacketInMaskMaster { get; init; }

    public uint PacketInMaskSlave { get; init; }

    public uint PortStatusMaskMaster { get; init; }

    public uint PortStatusMaskSlave { get; init; }

    public uint FlowRemovedMaskMaster { get; init; }

    public uint FlowRemovedMaskSlave { get; init; }

    internal sealed override int BodyLength => 24;

    internal sealed override void WriteBody(ref WireWriter w)
    {
        w.U32(PacketInMaskMaster);
        w.U32(PacketInMaskSlave);
        w.U32(PortStatusMaskMaster);
        w.U32(PortStatusMaskSlave);
        w.U32(FlowRemovedMaskMaster);
        w.U32(FlowRemovedMaskSlave);
    }
}

/// <summary>OFPT_GET_ASYNC_REPLY.</summary>
public sealed record GetAsyncReply : AsyncConfigMessage
{
    public override OfpType Type => OfpType.GetAsyncReply;
}

/// <summary>OFPT_SET_ASYNC.</summary>
public sealed record SetAsync : AsyncConfigMessage
{
    public override OfpType Type => OfpType.SetAsync;
}
