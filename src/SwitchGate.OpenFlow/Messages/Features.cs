namespace SwitchGate.OpenFlow;

// Handshake (OpenFlow 1.3.5 §7.3.1): features request and reply. Each record writes its body after the header;
// OfpCodec reads them.

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
