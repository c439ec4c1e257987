namespace SwitchGate.OpenFlow;

// OFPMP_DESC: switch description. Part of OFPT_MULTIPART_REQUEST / OFPT_MULTIPART_REPLY (§7.3.5).

/// <summary>OFPMP_DESC request (empty body).</summary>
public sealed record DescRequest : MultipartRequestBody
{
    public override MultipartType MultipartType => MultipartType.Desc;

    internal override int Length => 0;

    internal override void Write(ref WireWriter w)
    {
    }
}

/// <summary>OFPMP_DESC reply (ofp_desc).</summary>
public sealed record DescReply(string MfrDesc, string HwDesc, string SwDesc, string SerialNum, string DpDesc) : MultipartReplyBody
{
    /// <summary>DESC_STR_LEN.</summary>
    public const int DescStrLen = 256;

    /// <summary>SERIAL_NUM_LEN.</summary>
    public const int SerialNumLen = 32;

    public override MultipartType MultipartType => MultipartType.Desc;

    internal override int Length => (4 * DescStrLen) + SerialNumLen;

    internal override void Write(ref WireWriter w)
    {
        w.FixedString(MfrDesc, DescStrLen, "mfr_desc");
        w.FixedString(HwDesc, DescStrLen, "hw_desc");
        w.FixedString(SwDesc, DescStrLen, "sw_desc");
        w.FixedString(SerialNum, SerialNumLen, "serial_num");
        w.FixedString(DpDesc, DescStrLen, "dp_desc");
    }

    internal static DescReply Read(ref WireReader r) => new(
        r.FixedString(DescStrLen, "mfr_desc"),
        r.FixedString(DescStrLen, "hw_desc"),
        r.FixedString(DescStrLen, "sw_desc"),
        r.FixedString(SerialNumLen, "serial_num"),
        r.FixedString(DescStrLen, "dp_desc"));
}
