using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow;

// ofp_port (OpenFlow 1.3.5 §7.2.1) and OFPT_PORT_STATUS (§7.4.3). Each record writes its body after the header;
// OfpCodec reads them.

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
