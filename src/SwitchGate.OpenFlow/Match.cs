using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow;

/// <summary>
/// ofp_match of type OFPMT_OXM (§7.2.3.1): a list of OXM TLVs. Equality is by value (field by field, in order).
/// Prerequisites (§7.2.3.6) are checked by <see cref="CheckPrerequisites"/>, which the encoder calls unless told not to.
/// </summary>
public sealed record Match(IReadOnlyList<OxmField> Fields)
{
    /// <summary>OFPMT_OXM.</summary>
    public const ushort TypeOxm = 1;

    public static Match Empty { get; } = new(Array.Empty<OxmField>());

    public static Match Of(params OxmField[] fields) => new((IReadOnlyList<OxmField>)fields);

    /// <summary>The first OpenFlow-basic field of that kind, or null.</summary>
    public OxmField? Get(OxmBasicField field)
    {
        for (var index = 0; index < Fields.Count; index++)
        {
            var f = Fields[index];
            if (f.BasicField == field)
            {
                return f;
            }
        }

        return null;
    }

    private ulong? Exact(OxmBasicField field) => Get(field) is { HasMask: false } f ? f.ValueAsUInt64() : null;

    public uint? InPort => (uint?)Exact(OxmBasicField.InPort);

    public ushort? EthType => (ushort?)Exact(OxmBasicField.EthType);

    public MacAddress? EthDst => Get(OxmBasicField.EthDst) is { HasMask: false } f ? MacAddress.Read(f.ValueSpan) : null;

    public MacAddress? EthSrc => Get(OxmBasicField.EthSrc) is { HasMask: false } f ? MacAddress.Read(f.ValueSpan) : null;

    /// <summary>ofp_match.length: header plus OXM TLVs, without the trailing padding.</summary>
    public int Length
    {
        get
        {
            var length = 4;
            for (var index = 0; index < Fields.Count; index++)
            {
                var f = Fields[index];
                length += f.WireLength;
            }

            return length;
        }
    }

    /// <summary>Bytes on the wire, padded to a multiple of 8.</summary>
    public int PaddedLength => Wire.Pad8(Length);

    /// <summary>
    /// Throws <see cref="InvalidMatchException"/> if a field appears twice (OFPBMC_DUP_FIELD), a masked value has
    /// bits set outside its mask (OFPBMC_BAD_WILDCARDS, §7.2.3.5), or a prerequisite of table 12 (§7.2.3.6/7) is
    /// missing. A prerequisite counts only as an exact (unmasked) match on the required value, as OVS does.
    /// </summary>
    public void CheckPrerequisites()
    {
        for (var index = 0; index < Fields.Count; index++)
        {
            var f = Fields[index];

            // Matches are short; a quadratic scan avoids allocating on the encode path.
            for (var j = 0; j < index; j++)
            {
                var g = Fields[j];
                if (g.OxmClass == f.OxmClass && g.Field == f.Field && g.Experimenter == f.Experimenter)
                {
                    throw new InvalidMatchException($"match: field {f.Name} appears more than once");
                }
            }

            if (f.HasMask)
            {
                var v = f.ValueSpan;
                var m = f.MaskSpan;
                for (var i = 0; i < v.Length && i < m.Length; i++)
                {
                    if ((v[i] & ~m[i]) != 0)
                    {
                        throw new InvalidMatchException($"match: {f.Name} value {f.FormatValue()} has bits outside its mask {f.FormatMask()}");
                    }
                }
            }

            if (f.BasicField is { } basic)
            {
                CheckPrerequisite(basic);
            }
        }
    }

    private void CheckPrerequisite(OxmBasicField field)
    {
        const ushort ipv4 = 0x0800, arp = 0x0806, ipv6 = 0x86dd, mpls = 0x8847, mplsMulticast = 0x8848, pbb = 0x88e7;
        switch (field)
        {
            case OxmBasicField.InPhyPort:
                Require(field, OxmBasicField.InPort, "present", _ => true);
                break;
            case OxmBasicField.VlanPcp:
                Require(field, OxmBasicField.VlanVid, "!= OFPVID_NONE", v => v != OfpVlanId.None, allowMasked: true);
                break;
            case OxmBasicField.IpDscp or OxmBasicField.IpEcn or OxmBasicField.IpProto:
                Require(field, OxmBasicField.EthType, "0x0800 or 0x86dd", v => v is ipv4 or ipv6);
                break;
            case OxmBasicField.Ipv4Src or OxmBasicField.Ipv4Dst:
                Require(field, OxmBasicField.EthType, "0x0800", v => v == ipv4);
                break;
            case OxmBasicField.TcpSrc or OxmBasicField.TcpDst:
                Require(field, OxmBasicField.IpProto, "6", v => v == 6);
                break;
            case OxmBasicField.UdpSrc or OxmBasicField.UdpDst:
                Require(field, OxmBasicField.IpProto, "17", v => v == 17);
                break;
            case OxmBasicField.SctpSrc or OxmBasicField.SctpDst:
                Require(field, OxmBasicField.IpProto, "132", v => v == 132);
                break;
            case OxmBasicField.Icmpv4Type or OxmBasicField.Icmpv4Code:
                Require(field, OxmBasicField.IpProto, "1", v => v == 1);
                break;
            case OxmBasicField.ArpOp or OxmBasicField.ArpSpa or OxmBasicField.ArpTpa or OxmBasicField.ArpSha or OxmBasicField.ArpTha:
                Require(field, OxmBasicField.EthType, "0x0806", v => v == arp);
                break;
            case OxmBasicField.Ipv6Src or OxmBasicField.Ipv6Dst or OxmBasicField.Ipv6Flabel or OxmBasicField.Ipv6Exthdr:
                Require(field, OxmBasicField.EthType, "0x86dd", v => v == ipv6);
                break;
            case OxmBasicField.Icmpv6Type or OxmBasicField.Icmpv6Code:
                Require(field, OxmBasicField.IpProto, "58", v => v == 58);
                break;
            case OxmBasicField.Ipv6NdTarget:
                Require(field, OxmBasicField.Icmpv6Type, "135 or 136", v => v is 135 or 136);
                break;
            case OxmBasicField.Ipv6NdSll:
                Require(field, OxmBasicField.Icmpv6Type, "135", v => v == 135);
                break;
            case OxmBasicField.Ipv6NdTll:
                Require(field, OxmBasicField.Icmpv6Type, "136", v => v == 136);
                break;
            case OxmBasicField.MplsLabel or OxmBasicField.MplsTc or OxmBasicField.MplsBos:
                Require(field, OxmBasicField.EthType, "0x8847 or 0x8848", v => v is mpls or mplsMulticast);
                break;
            case OxmBasicField.PbbIsid:
                Require(field, OxmBasicField.EthType, "0x88e7", v => v == pbb);
                break;
        }
    }

    private void Require(OxmBasicField field, OxmBasicField prerequisite, string expected, Func<ulong, bool> ok, bool allowMasked = false)
    {
        var p = Get(prerequisite);
        if (p is null || (p.HasMask && !allowMasked) || !ok(p.ValueAsUInt64()))
        {
            var name = Oxm.Info(field).Name;
            var pre = Oxm.Info(prerequisite).Name;
            var found = p is null ? "absent" : p.ToString();
            throw new InvalidMatchException($"match: {name} requires {pre} {expected} (spec 1.3.5 §7.2.3.7 table 12), but {pre} is {found}");
        }
    }

    public bool Equals(Match? other) => other is not null && Fields.SequenceEqual(other.Fields);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var f in Fields)
        {
            h.Add(f);
        }

        return h.ToHashCode();
    }

    public override string ToString() => Fields.Count == 0 ? "match(any)" : $"match({string.Join(", ", Fields)})";

    internal void Write(ref WireWriter w)
    {
        var start = w.Position;
        w.U16(TypeOxm);
        w.U16((ushort)Length);
        for (var index = 0; index < Fields.Count; index++)
        {
            var f = Fields[index];
            f.Write(ref w);
        }

        w.PadTo8(start);
    }

    /// <summary>Reads an ofp_match including its padding to 8 bytes (§7.2.3.1).</summary>
    internal static Match Read(ref WireReader r)
    {
        var type = r.U16("match type");
        var length = r.U16("match length");
        if (type != TypeOxm)
        {
            throw r.Fail($"match type {type} is not OFPMT_OXM (1); OFPMT_STANDARD is not part of OpenFlow 1.3");
        }

        if (length < 4)
        {
            throw r.Fail($"match length {length} is less than the 4-byte ofp_match header");
        }

        var padded = Wire.Pad8(length);
        if (padded - 4 > r.Remaining)
        {
            throw r.Fail($"match length {length} (padded to {padded}) exceeds the {r.Remaining + 4} bytes left");
        }

        var body = r.Sub(length - 4, "match fields");
        r.Pad(padded - length, "match padding");
        if (body.Remaining == 0)
        {
            return Empty;
        }

        var count = body.CountTlvs(3, oxm: true);
        if (count < 0)
        {
            // Inconsistent lengths: read one by one so the error names the offending field.
            var list = new List<OxmField>();
            while (body.Remaining > 0)
            {
                list.Add(OxmField.Read(ref body));
            }

            return new Match(list);
        }

        var fields = new OxmField[count];
        for (var i = 0; i < count; i++)
        {
            fields[i] = OxmField.Read(ref body);
        }

        return new Match(fields);
    }
}
