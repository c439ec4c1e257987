namespace SwitchGate.OpenFlow;

// OFPMP_PORT_DESC: the switch's ports. Part of OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5).

/// <summary>OFPMP_PORT_DESC request (empty body).</summary>
public sealed record PortDescRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.PortDesc;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>OFPMP_PORT_DESC reply: the switch's ports.</summary>
public sealed record PortDescReply(IReadOnlyList<PortDesc> Ports) : MultipartReplyBody
{
    public override MultipartType MultipartType => MultipartType.PortDesc;

    internal override int Length => Ports.Count * PortDesc.WireLength;

    internal override void Write(ref WireWriter w)
    {
        foreach (var p in Ports)
        {
            p.Write(ref w);
        }
    }
}

internal static partial class MultipartReader
{
    private static PortDescReply ReadPortDesc(ref WireReader r)
    {
        if (r.Remaining % PortDesc.WireLength != 0)
        {
            throw r.Fail($"port desc body of {r.Remaining} bytes is not a multiple of {PortDesc.WireLength}");
        }

        var list = new List<PortDesc>();
        while (r.Remaining > 0)
        {
            list.Add(PortDesc.Read(ref r));
        }

        return new PortDescReply(list);
    }
}
