namespace SwitchGate.OpenFlow;

// OFPT_PACKET_OUT (OpenFlow 1.3.5 §7.3.7). Each record writes its body after the header; OfpCodec reads them.

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
