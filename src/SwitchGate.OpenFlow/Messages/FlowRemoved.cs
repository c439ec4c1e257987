namespace SwitchGate.OpenFlow;

// OFPT_FLOW_REMOVED (OpenFlow 1.3.5 §7.4.2). Each record writes its body after the header; OfpCodec reads them.

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
