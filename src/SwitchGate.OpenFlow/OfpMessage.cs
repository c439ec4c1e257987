namespace SwitchGate.OpenFlow;

/// <summary>
/// An OpenFlow 1.3 message: the ofp_header (§7.1) is implied by the record type (<see cref="Type"/>), the xid and,
/// for HELLO only, an explicit version. Encode and decode with <see cref="OfpCodec"/> and <see cref="OfpFrameReader"/>.
/// </summary>
public abstract record OfpMessage
{
    private uint _xid;

    public uint Xid
    {
        get => _xid;
        init => _xid = value;
    }

    public abstract OfpType Type { get; }

    /// <summary>ofp_header.version: 0x04 except for a HELLO, which may carry any version for negotiation.</summary>
    internal virtual byte HeaderVersion => OfpConstants.Version;

    /// <summary>Bytes after the 8-byte header.</summary>
    internal abstract int BodyLength { get; }

    internal abstract void WriteBody(ref WireWriter w);

    /// <summary>Lets the decoder set the header's xid on the message it just built, without a `with` copy.</summary>
    internal void SetXidFromHeader(uint xid) => _xid = xid;
}

/// <summary>Base for messages that are a bare header (FEATURES_REQUEST, BARRIER_*, ...).</summary>
public abstract record OfpEmptyMessage : OfpMessage
{
    internal sealed override int BodyLength => 0;

    internal sealed override void WriteBody(ref WireWriter w)
    {
    }
}
