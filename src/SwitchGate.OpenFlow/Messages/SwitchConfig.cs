namespace SwitchGate.OpenFlow;

// Switch configuration (OpenFlow 1.3.5 §7.3.2): get/set config. Each record writes its body after the header;
// OfpCodec reads them.

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
