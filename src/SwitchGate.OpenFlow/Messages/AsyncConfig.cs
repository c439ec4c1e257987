namespace SwitchGate.OpenFlow;

// Asynchronous message configuration (OpenFlow 1.3.5 §7.3.10): get/set async. Each record writes its body after the
// header; OfpCodec reads them.

/// <summary>OFPT_GET_ASYNC_REQUEST.</summary>
public sealed record GetAsyncRequest : OfpEmptyMessage
{
    public override OfpType Type => OfpType.GetAsyncRequest;
}

/// <summary>
/// ofp_async_config (§7.3.10): for each of packet_in_mask, port_status_mask, flow_removed_mask the spec has two
/// elements, [0] for the master/equal role and [1] for the slave role; bit n set = reason n is sent.
/// </summary>
public abstract record AsyncConfigMessage : OfpMessage
{
    public uint PacketInMaskMaster { get; init; }

    public uint PacketInMaskSlave { get; init; }

    public uint PortStatusMaskMaster { get; init; }

    public uint PortStatusMaskSlave { get; init; }

    public uint FlowRemovedMaskMaster { get; init; }

    public uint FlowRemovedMaskSlave { get; init; }

    internal sealed override int BodyLength => 24;

    internal sealed override void WriteBody(ref WireWriter w)
    {
        w.U32(PacketInMaskMaster);
        w.U32(PacketInMaskSlave);
        w.U32(PortStatusMaskMaster);
        w.U32(PortStatusMaskSlave);
        w.U32(FlowRemovedMaskMaster);
        w.U32(FlowRemovedMaskSlave);
    }
}

/// <summary>OFPT_GET_ASYNC_REPLY.</summary>
public sealed record GetAsyncReply : AsyncConfigMessage
{
    public override OfpType Type => OfpType.GetAsyncReply;
}

/// <summary>OFPT_SET_ASYNC.</summary>
public sealed record SetAsync : AsyncConfigMessage
{
    public override OfpType Type => OfpType.SetAsync;
}
