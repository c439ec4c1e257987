namespace SwitchGate.OpenFlow;

// OFPT_PACKET_IN (OpenFlow 1.3.5 §7.4.1). Each record writes its body after the header; OfpCodec reads them.

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
