namespace SwitchGate.OpenFlow;

// OFPT_ERROR (OpenFlow 1.3.5 §7.4.4), standard and experimenter forms. Each record writes its body after the header;
// OfpCodec reads them.

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
