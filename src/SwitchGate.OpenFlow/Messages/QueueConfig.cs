namespace SwitchGate.OpenFlow;

// Queue configuration (OpenFlow 1.3.5 §7.3.6). Each record writes its body after the header; OfpCodec reads them.

/// <summary>OFPT_QUEUE_GET_CONFIG_REQUEST (§7.3.6).</summary>
public sealed record QueueGetConfigRequest(uint Port) : OfpMessage
{
    public override OfpType Type => OfpType.QueueGetConfigRequest;

    internal override int BodyLength => 8;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Port);
        w.Zeros(4);
    }
}

/// <summary>OFPT_QUEUE_GET_CONFIG_REPLY; the list of ofp_packet_queue is kept opaque.</summary>
public sealed record QueueGetConfigReply(uint Port, byte[] Queues) : OfpMessage
{
    public override OfpType Type => OfpType.QueueGetConfigReply;

    internal override int BodyLength => 8 + Queues.Length;

    internal override void WriteBody(ref WireWriter w)
    {
        w.U32(Port);
        w.Zeros(4);
        w.Bytes(Queues);
    }
}
