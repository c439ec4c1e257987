using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow;

// OFPT_PORT_MOD (OpenFlow 1.3.5 §7.3.4.5). Each record writes its body after the header; OfpCodec reads them.

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
