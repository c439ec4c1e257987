namespace SwitchGate.OpenFlow;

// Controller role request and reply (OpenFlow 1.3.5 §7.3.9). Each record writes its body after the header; OfpCodec
// reads them.

/// <summary>Body of ofp_role_request (§7.3.9).</summary>
public abstract record RoleMessage(ControllerRole Role, ulong GenerationId) : OfpMessage
{
    internal sealed override int BodyLength => 16;

    internal sealed override void WriteBody(ref WireWriter w)
    {
        w.U32((uint)Role);
        w.Zeros(4);
        w.U64(GenerationId);
    }
}

/// <summary>OFPT_ROLE_REQUEST.</summary>
public sealed record RoleRequest(ControllerRole Role, ulong GenerationId) : RoleMessage(Role, GenerationId)
{
    public override OfpType Type => OfpType.RoleRequest;
}

/// <summary>OFPT_ROLE_REPLY.</summary>
public sealed record RoleReply(ControllerRole Role, ulong GenerationId) : RoleMessage(Role, GenerationId)
{
    public override OfpType Type => OfpType.RoleReply;
}
