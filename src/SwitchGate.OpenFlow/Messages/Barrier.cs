namespace SwitchGate.OpenFlow;

// Barrier request and reply (OpenFlow 1.3.5 §7.3.8). Each record writes its body after the header; OfpCodec reads
// them.

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
