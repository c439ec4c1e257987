using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow;

/// <summary>ofp_oxm_class (§7.2.3.2).</summary>
public static class OxmClass
{
    public const ushort Nxm0 = 0x0000;
    public const ushort Nxm1 = 0x0001;
    public const ushort OpenFlowBasic = 0x8000;
    public const ushort Experimenter = 0xffff;
}

/// <summary>oxm_ofb_match_fields (§7.2.3.7): the 40 OpenFlow-basic match fields of OpenFlow 1.3.</summary>
public enum OxmBasicField : byte
{
    InPort = 0,
    InPhyPort = 1,
    Metadata = 2,
    EthDst = 3,
    EthSrc = 4,
    EthType = 5,
    VlanVid = 6,
    VlanPcp = 7,
    IpDscp = 8,
    IpEcn = 9,
    IpProto = 10,
    Ipv4Src = 11,
    Ipv4Dst = 12,
    TcpSrc = 13,
    TcpDst = 14,
    UdpSrc = 15,
    UdpDst = 16,
    SctpSrc = 17,
    SctpDst = 18,
    Icmpv4Type = 19,
    Icmpv4Code = 20,
    ArpOp = 21,
    ArpSpa = 22,
    ArpTpa = 23,
    ArpSha = 24,
    ArpTha = 25,
    Ipv6Src = 26,
    Ipv6Dst = 27,
    Ipv6Flabel = 28,
    Icmpv6Type = 29,
    Icmpv6Code = 30,
    Ipv6NdTarget = 31,
    Ipv6NdSll = 32,
    Ipv6NdTll = 33,
    MplsLabel = 34,
    MplsTc = 35,
    MplsBos = 36,
    PbbIsid = 37,
    TunnelId = 38,
    Ipv6Exthdr = 39,
}

/// <summary>How a field's value is best shown (for text and JSON output).</summary>
public enum OxmValueKind
{
    Integer,
    Mac,
    Ipv4,
    Ipv6,
    Opaque,
}

/// <summary>Static facts about an OpenFlow-basic field: spec name, payload size, maskability (§7.2.3.7, table 12).</summary>
public sealed record OxmFieldInfo(OxmBasicField Field, string Name, int Length, bool Maskable, OxmValueKind Kind);

/// <summary>
/// One OXM TLV. For the OpenFlow-basic class the value and mask lengths are those of the spec; other
/// classes (Nicira NXM 0x0000/0x0001, experimenter 0xffff with its 4-byte experimenter id) are kept as
/// opaque bytes and re-encode exactly. Equality is by value.
/// </summary>
public sealed class OxmField : IEquatable<OxmField>
{
    private readonly byte[] _value;
    private readonly byte[]? _mask;

    /// <summary>Builds a field, checking value/mask lengths for OpenFlow-basic fields (ArgumentException otherwise).</summary>
    public OxmField(ushort oxmClass, byte field, ReadOnlySpan<byte> value, ReadOnlySpan<byte> mask = default, bool hasMask = false, uint? experimenter = null)
        : this(oxmClass, field, value.ToArray(), hasMask || !mask.IsEmpty ? mask.ToArray() : null, experimenter)
    {
        if (field > 0x7f)
        {
            throw new ArgumentOutOfRangeException(nameof(field), "oxm_field has 7 bits");
        }

        if ((oxmClass == SwitchGate.OpenFlow.OxmClass.Experimenter) != experimenter.HasValue)
        {
            throw new ArgumentException("an experimenter id is given exactly for the experimenter class 0xffff", nameof(experimenter));
        }

        if (PayloadLength > 255)
        {
            throw new ArgumentException("an OXM payload is at most 255 bytes", nameof(value));
        }

        var problem = CheckBasicLayout(oxmClass, field, _value.Length, _mask?.Length);
        if (problem is not null)
        {
            throw new ArgumentException(problem, nameof(value));
        }
    }

    private OxmField(ushort oxmClass, byte field, byte[] value, byte[]? mask, uint? experimenter)
    {
        OxmClass = oxmClass;
        Field = field;
        _value = value;
        _mask = mask;
        Experimenter = experimenter;
    }

    public ushort OxmClass { get; }

    public byte Field { get; }

    public bool HasMask => _mask is not null;

    /// <summary>The value bytes (after the experimenter id for class 0xffff). A copy.</summary>
    public byte[] Value => (byte[])_value.Clone();

    /// <summary>The mask bytes, or null. A copy.</summary>
    public byte[]? Mask => (byte[]?)_mask?.Clone();

    public ReadOnlySpan<byte> ValueSpan => _value;

    public ReadOnlySpan<byte> MaskSpan => _mask;

    /// <summary>The experimenter id of class 0xffff fields.</summary>
    public uint? Experimenter { get; }

    public bool IsBasic => OxmClass == SwitchGate.OpenFlow.OxmClass.OpenFlowBasic;

    /// <summary>The basic field, if this is a known OpenFlow-basic field.</summary>
    public OxmBasicField? BasicField => IsBasic && Field < Oxm.Fields.Count ? (OxmBasicField)Field : null;

    public OxmFieldInfo? Info => BasicField is { } f ? Oxm.Fields[(int)f] : null;

    /// <summary>oxm_length: payload bytes after the 4-byte header.</summary>
    public int PayloadLength => (Experimenter.HasValue ? 4 : 0) + _value.Length + (_mask?.Length ?? 0);

    public int WireLength => 4 + PayloadLength;

    /// <summary>The 32-bit OXM header (class, field, hasmask, length).</summary>
    public uint Header => ((uint)OxmClass << 16) | ((uint)Field << 9) | (HasMask ? 1u << 8 : 0) | (uint)PayloadLength;

    /// <summary>The spec name ("eth_dst") of basic fields; known Nicira/ONF names; otherwise a descriptive name.</summary>
    public string Name => Info?.Name ?? Oxm.ExtensionName(this) ?? (Experimenter is { } e
        ? $"experimenter_0x{e:x8}_field_{Field}"
        : $"class_0x{OxmClass:x4}_field_{Field}");

    /// <summary>Value as an unsigned big-endian integer (for values of up to 8 bytes).</summary>
    public ulong ValueAsUInt64() => ToUInt64(_value);

    public ulong? MaskAsUInt64() => _mask is null ? null : ToUInt64(_mask);

    internal static ulong ToUInt64(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > 8)
        {
            throw new InvalidOperationException("value longer than 8 bytes");
        }

        ulong v = 0;
        foreach (var b in bytes)
        {
            v = (v << 8) | b;
        }

        return v;
    }

    /// <summary>Returns a problem description if a basic field's lengths are wrong, else null.</summary>
    internal static string? CheckBasicLayout(ushort oxmClass, byte field, int valueLength, int? maskLength)
    {
        if (oxmClass != SwitchGate.OpenFlow.OxmClass.OpenFlowBasic || field >= Oxm.Fields.Count)
        {
            return null;
        }

        var info = Oxm.Fields[field];
        if (maskLength is not null && !info.Maskable)
        {
            return $"OXM field {info.Name} cannot be masked";
        }

        if (valueLength != info.Length || (maskLength is { } m && m != info.Length))
        {
            return $"OXM field {info.Name} has a {info.Length}-byte value{(info.Maskable ? " (and mask)" : string.Empty)}, got {valueLength}{(maskLength is { } ml ? $"+{ml}" : string.Empty)} bytes";
        }

        return null;
    }

    /// <summary>Formats the value for people (MAC, IP address or integer as the field kind says, hex if opaque).</summary>
    public string FormatValue() => Format(_value);

    public string? FormatMask() => _mask is null ? null : Format(_mask);

    private string Format(byte[] bytes) => (Info?.Kind ?? Oxm.ExtensionKind(this)) switch
    {
        OxmValueKind.Integer when bytes.Length <= 8 => ToUInt64(bytes).ToString(System.Globalization.CultureInfo.InvariantCulture),
        OxmValueKind.Mac when bytes.Length == 6 => MacAddress.Read(bytes).ToString(),
        OxmValueKind.Ipv4 when bytes.Length == 4 => new IPAddress(bytes).ToString(),
        OxmValueKind.Ipv6 when bytes.Length == 16 => new IPAddress(bytes).ToString(),
        _ => "0x" + Convert.ToHexStringLower(bytes),
    };

    internal void Write(ref WireWriter w)
    {
        w.U32(Header);
        if (Experimenter is { } e)
        {
            w.U32(e);
        }

        w.Bytes(_value);
        if (_mask is not null)
        {
            w.Bytes(_mask);
        }
    }

    /// <summary>Reads one OXM TLV (§7.2.3.2), strictly: the length must fit and basic fields must have the spec's sizes.</summary>
    internal static OxmField Read(ref WireReader r)
    {
        var header = r.U32("OXM header");
        var oxmClass = (ushort)(header >> 16);
        var field = (byte)((header >> 9) & 0x7f);
        var hasMask = (header & 0x100) != 0;
        var length = (int)(header & 0xff);
        if (length > r.Remaining)
        {
            throw r.Fail($"OXM length {length} of class 0x{oxmClass:x4} field {field} exceeds the {r.Remaining} bytes left in the match");
        }

        var payload = r.Bytes(length, "OXM payload");
        uint? experimenter = null;
        if (oxmClass == SwitchGate.OpenFlow.OxmClass.Experimenter)
        {
            if (length < 4)
            {
                throw r.Fail($"experimenter OXM length {length} is less than its 4-byte experimenter id");
            }

            experimenter = BinaryPrimitives.ReadUInt32BigEndian(payload);
            payload = payload[4..];
        }

        if (oxmClass == SwitchGate.OpenFlow.OxmClass.OpenFlowBasic && field < Oxm.Fields.Count)
        {
            var problem = CheckBasicLayout(oxmClass, field, hasMask ? payload.Length / 2 : payload.Length, hasMask ? payload.Length - (payload.Length / 2) : null);
            if (problem is not null)
            {
                throw r.Fail(problem);
            }
        }

        // Masked fields carry value then mask of equal size (§7.2.3.2); an odd opaque payload keeps its extra byte in the mask.
        var valueLength = hasMask ? payload.Length / 2 : payload.Length;
        return new OxmField(oxmClass, field, payload[..valueLength].ToArray(), hasMask ? payload[valueLength..].ToArray() : null, experimenter);
    }

    public bool Equals(OxmField? other) =>
        other is not null && OxmClass == other.OxmClass && Field == other.Field && Experimenter == other.Experimenter
        && _value.AsSpan().SequenceEqual(other._value)
        && (_mask is null ? other._mask is null : other._mask is not null && _mask.AsSpan().SequenceEqual(other._mask));

    public override bool Equals(object? obj) => Equals(obj as OxmField);

    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(OxmClass);
        h.Add(Field);
        h.AddBytes(_value);
        if (_mask is not null)
        {
            h.AddBytes(_mask);
        }

        return h.ToHashCode();
    }

    public override string ToString() => _mask is null ? $"{Name}={FormatValue()}" : $"{Name}={FormatValue()}/{FormatMask()}";
}

/// <summary>Typed factories for the OpenFlow-basic OXM fields, and the field table.</summary>
public static class Oxm
{
    /// <summary>Field table indexed by <see cref="OxmBasicField"/> (OpenFlow 1.3.5 table 12).</summary>
    public static IReadOnlyList<OxmFieldInfo> Fields { get; } =
    [
        new(OxmBasicField.InPort, "in_port", 4, false, OxmValueKind.Integer),
        new(OxmBasicField.InPhyPort, "in_phy_port", 4, false, OxmValueKind.Integer),
        new(OxmBasicField.Metadata, "metadata", 8, true, OxmValueKind.Integer),
        new(OxmBasicField.EthDst, "eth_dst", 6, true, OxmValueKind.Mac),
        new(OxmBasicField.EthSrc, "eth_src", 6, true, OxmValueKind.Mac),
        new(OxmBasicField.EthType, "eth_type", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.VlanVid, "vlan_vid", 2, true, OxmValueKind.Integer),
        new(OxmBasicField.VlanPcp, "vlan_pcp", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.IpDscp, "ip_dscp", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.IpEcn, "ip_ecn", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.IpProto, "ip_proto", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.Ipv4Src, "ipv4_src", 4, true, OxmValueKind.Ipv4),
        new(OxmBasicField.Ipv4Dst, "ipv4_dst", 4, true, OxmValueKind.Ipv4),
        new(OxmBasicField.TcpSrc, "tcp_src", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.TcpDst, "tcp_dst", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.UdpSrc, "udp_src", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.UdpDst, "udp_dst", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.SctpSrc, "sctp_src", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.SctpDst, "sctp_dst", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.Icmpv4Type, "icmpv4_type", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.Icmpv4Code, "icmpv4_code", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.ArpOp, "arp_op", 2, false, OxmValueKind.Integer),
        new(OxmBasicField.ArpSpa, "arp_spa", 4, true, OxmValueKind.Ipv4),
        new(OxmBasicField.ArpTpa, "arp_tpa", 4, true, OxmValueKind.Ipv4),
        new(OxmBasicField.ArpSha, "arp_sha", 6, true, OxmValueKind.Mac),
        new(OxmBasicField.ArpTha, "arp_tha", 6, true, OxmValueKind.Mac),
        new(OxmBasicField.Ipv6Src, "ipv6_src", 16, true, OxmValueKind.Ipv6),
        new(OxmBasicField.Ipv6Dst, "ipv6_dst", 16, true, OxmValueKind.Ipv6),
        new(OxmBasicField.Ipv6Flabel, "ipv6_flabel", 4, true, OxmValueKind.Integer),
        new(OxmBasicField.Icmpv6Type, "icmpv6_type", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.Icmpv6Code, "icmpv6_code", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.Ipv6NdTarget, "ipv6_nd_target", 16, false, OxmValueKind.Ipv6),
        new(OxmBasicField.Ipv6NdSll, "ipv6_nd_sll", 6, false, OxmValueKind.Mac),
        new(OxmBasicField.Ipv6NdTll, "ipv6_nd_tll", 6, false, OxmValueKind.Mac),
        new(OxmBasicField.MplsLabel, "mpls_label", 4, false, OxmValueKind.Integer),
        new(OxmBasicField.MplsTc, "mpls_tc", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.MplsBos, "mpls_bos", 1, false, OxmValueKind.Integer),
        new(OxmBasicField.PbbIsid, "pbb_isid", 3, true, OxmValueKind.Integer),
        new(OxmBasicField.TunnelId, "tunnel_id", 8, true, OxmValueKind.Integer),
        new(OxmBasicField.Ipv6Exthdr, "ipv6_exthdr", 2, true, OxmValueKind.Integer),
    ];

    /// <summary>The ONF experimenter id ("ONF\0"), used by OpenFlow 1.3 extensions such as pbb_uca.</summary>
    public const uint OnfExperimenterId = 0x4f4e4600;

    // A few well-known extension fields, named for display only; they stay opaque bytes.
    internal static string? ExtensionName(OxmField f) => (f.OxmClass, f.Field, f.Experimenter) switch
    {
        (OxmClass.Nxm1, 31, null) => "tun_ipv4_src",
        (OxmClass.Nxm1, 32, null) => "tun_ipv4_dst",
        (OxmClass.Experimenter, 0, OnfExperimenterId) when f.ValueSpan.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(f.ValueSpan) == 2560 => "pbb_uca",
        _ => null,
    };

    internal static OxmValueKind ExtensionKind(OxmField f) => f.Name switch
    {
        "tun_ipv4_src" or "tun_ipv4_dst" => OxmValueKind.Ipv4,
        _ => OxmValueKind.Opaque,
    };

    public static OxmFieldInfo Info(OxmBasicField field) => Fields[(int)field];

    /// <summary>Looks a basic field up by its spec name ("eth_dst").</summary>
    public static OxmBasicField? FieldByName(string name)
    {
        foreach (var f in Fields)
        {
            if (f.Name == name)
            {
                return f.Field;
            }
        }

        return null;
    }

    /// <summary>Any OpenFlow-basic field from raw bytes (lengths are checked).</summary>
    public static OxmField Basic(OxmBasicField field, ReadOnlySpan<byte> value, ReadOnlySpan<byte> mask = default) =>
        new(OxmClass.OpenFlowBasic, (byte)field, value, mask);

    /// <summary>An experimenter-class (0xffff) field kept opaque.</summary>
    public static OxmField ExperimenterField(uint experimenter, byte field, ReadOnlySpan<byte> value, ReadOnlySpan<byte> mask = default) =>
        new(OxmClass.Experimenter, field, value, mask, experimenter: experimenter);

    /// <summary>A field of another class (e.g. Nicira NXM 0x0000/0x0001) kept opaque.</summary>
    public static OxmField Other(ushort oxmClass, byte field, ReadOnlySpan<byte> value, ReadOnlySpan<byte> mask = default) =>
        new(oxmClass, field, value, mask);

    private static OxmField Int(OxmBasicField field, ulong value, ulong? mask = null, ulong max = ulong.MaxValue)
    {
        var info = Info(field);
        if (value > max || (mask is { } m && m > max))
        {
            throw new ArgumentOutOfRangeException(nameof(value), $"{info.Name} is at most 0x{max:x}");
        }

        Span<byte> v = stackalloc byte[info.Length];
        Span<byte> k = stackalloc byte[info.Length];
        Put(v, value);
        if (mask is { } mm)
        {
            Put(k, mm);
            return Basic(field, v, k);
        }

        return Basic(field, v);
    }

    private static void Put(Span<byte> dest, ulong value)
    {
        for (var i = dest.Length - 1; i >= 0; i--)
        {
            dest[i] = (byte)value;
            value >>= 8;
        }
    }

    private static OxmField Mac(OxmBasicField field, MacAddress value, MacAddress? mask)
    {
        Span<byte> v = stackalloc byte[6];
        value.WriteTo(v);
        if (mask is { } m)
        {
            Span<byte> k = stackalloc byte[6];
            m.WriteTo(k);
            return Basic(field, v, k);
        }

        return Basic(field, v);
    }

    private static OxmField Ip(OxmBasicField field, IPAddress value, IPAddress? mask, AddressFamily family)
    {
        if (value.AddressFamily != family || (mask is not null && mask.AddressFamily != family))
        {
            throw new ArgumentException($"{Info(field).Name} needs an {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address", nameof(value));
        }

        return mask is null ? Basic(field, value.GetAddressBytes()) : Basic(field, value.GetAddressBytes(), mask.GetAddressBytes());
    }

    public static OxmField InPort(uint port) => Int(OxmBasicField.InPort, port);

    public static OxmField InPhyPort(uint port) => Int(OxmBasicField.InPhyPort, port);

    public static OxmField Metadata(ulong value) => Int(OxmBasicField.Metadata, value);

    public static OxmField Metadata(ulong value, ulong mask) => Int(OxmBasicField.Metadata, value, mask);

    public static OxmField EthDst(MacAddress value) => Mac(OxmBasicField.EthDst, value, null);

    public static OxmField EthDst(MacAddress value, MacAddress mask) => Mac(OxmBasicField.EthDst, value, mask);

    public static OxmField EthSrc(MacAddress value) => Mac(OxmBasicField.EthSrc, value, null);

    public static OxmField EthSrc(MacAddress value, MacAddress mask) => Mac(OxmBasicField.EthSrc, value, mask);

    public static OxmField EthType(ushort ethType) => Int(OxmBasicField.EthType, ethType);

    /// <summary>Raw vlan_vid (§7.2.3.8): include <see cref="OfpVlanId.Present"/> to match a tagged VLAN id, 0 for untagged.</summary>
    public static OxmField VlanVid(ushort value) => Int(OxmBasicField.VlanVid, value, null, 0x1fff);

    public static OxmField VlanVid(ushort value, ushort mask) => Int(OxmBasicField.VlanVid, value, mask, 0x1fff);

    /// <summary>Packets tagged with VLAN id <paramref name="vlanId"/> (OFPVID_PRESENT | id).</summary>
    public static OxmField VlanVidTagged(ushort vlanId) =>
        vlanId > 0xfff ? throw new ArgumentOutOfRangeException(nameof(vlanId), "a VLAN id has 12 bits") : VlanVid((ushort)(OfpVlanId.Present | vlanId));

    public static OxmField VlanPcp(byte pcp) => Int(OxmBasicField.VlanPcp, pcp, null, 7);

    public static OxmField IpDscp(byte dscp) => Int(OxmBasicField.IpDscp, dscp, null, 63);

    public static OxmField IpEcn(byte ecn) => Int(OxmBasicField.IpEcn, ecn, null, 3);

    public static OxmField IpProto(byte proto) => Int(OxmBasicField.IpProto, proto);

    public static OxmField Ipv4Src(IPAddress value) => Ip(OxmBasicField.Ipv4Src, value, null, AddressFamily.InterNetwork);

    public static OxmField Ipv4Src(IPAddress value, IPAddress mask) => Ip(OxmBasicField.Ipv4Src, value, mask, AddressFamily.InterNetwork);

    public static OxmField Ipv4Dst(IPAddress value) => Ip(OxmBasicField.Ipv4Dst, value, null, AddressFamily.InterNetwork);

    public static OxmField Ipv4Dst(IPAddress value, IPAddress mask) => Ip(OxmBasicField.Ipv4Dst, value, mask, AddressFamily.InterNetwork);

    public static OxmField TcpSrc(ushort port) => Int(OxmBasicField.TcpSrc, port);

    public static OxmField TcpDst(ushort port) => Int(OxmBasicField.TcpDst, port);

    public static OxmField UdpSrc(ushort port) => Int(OxmBasicField.UdpSrc, port);

    public static OxmField UdpDst(ushort port) => Int(OxmBasicField.UdpDst, port);

    public static OxmField SctpSrc(ushort port) => Int(OxmBasicField.SctpSrc, port);

    public static OxmField SctpDst(ushort port) => Int(OxmBasicField.SctpDst, port);

    public static OxmField Icmpv4Type(byte type) => Int(OxmBasicField.Icmpv4Type, type);

    public static OxmField Icmpv4Code(byte code) => Int(OxmBasicField.Icmpv4Code, code);

    public static OxmField ArpOp(ushort op) => Int(OxmBasicField.ArpOp, op);

    public static OxmField ArpSpa(IPAddress value) => Ip(OxmBasicField.ArpSpa, value, null, AddressFamily.InterNetwork);

    public static OxmField ArpSpa(IPAddress value, IPAddress mask) => Ip(OxmBasicField.ArpSpa, value, mask, AddressFamily.InterNetwork);

    public static OxmField ArpTpa(IPAddress value) => Ip(OxmBasicField.ArpTpa, value, null, AddressFamily.InterNetwork);

    public static OxmField ArpTpa(IPAddress value, IPAddress mask) => Ip(OxmBasicField.ArpTpa, value, mask, AddressFamily.InterNetwork);

    public static OxmField ArpSha(MacAddress value) => Mac(OxmBasicField.ArpSha, value, null);

    public static OxmField ArpSha(MacAddress value, MacAddress mask) => Mac(OxmBasicField.ArpSha, value, mask);

    public static OxmField ArpTha(MacAddress value) => Mac(OxmBasicField.ArpTha, value, null);

    public static OxmField ArpTha(MacAddress value, MacAddress mask) => Mac(OxmBasicField.ArpTha, value, mask);

    public static OxmField Ipv6Src(IPAddress value) => Ip(OxmBasicField.Ipv6Src, value, null, AddressFamily.InterNetworkV6);

    public static OxmField Ipv6Src(IPAddress value, IPAddress mask) => Ip(OxmBasicField.Ipv6Src, value, mask, AddressFamily.InterNetworkV6);

    public static OxmField Ipv6Dst(IPAddress value) => Ip(OxmBasicField.Ipv6Dst, value, null, AddressFamily.InterNetworkV6);

    public static OxmField Ipv6Dst(IPAddress value, IPAddress mask) => Ip(OxmBasicField.Ipv6Dst, value, mask, AddressFamily.InterNetworkV6);

    public static OxmField Ipv6Flabel(uint label) => Int(OxmBasicField.Ipv6Flabel, label, null, 0xfffff);

    public static OxmField Ipv6Flabel(uint label, uint mask) => Int(OxmBasicField.Ipv6Flabel, label, mask, 0xfffff);

    public static OxmField Icmpv6Type(byte type) => Int(OxmBasicField.Icmpv6Type, type);

    public static OxmField Icmpv6Code(byte code) => Int(OxmBasicField.Icmpv6Code, code);

    public static OxmField Ipv6NdTarget(IPAddress target) => Ip(OxmBasicField.Ipv6NdTarget, target, null, AddressFamily.InterNetworkV6);

    public static OxmField Ipv6NdSll(MacAddress value) => Mac(OxmBasicField.Ipv6NdSll, value, null);

    public static OxmField Ipv6NdTll(MacAddress value) => Mac(OxmBasicField.Ipv6NdTll, value, null);

    public static OxmField MplsLabel(uint label) => Int(OxmBasicField.MplsLabel, label, null, 0xfffff);

    public static OxmField MplsTc(byte tc) => Int(OxmBasicField.MplsTc, tc, null, 7);

    public static OxmField MplsBos(byte bos) => Int(OxmBasicField.MplsBos, bos, null, 1);

    public static OxmField PbbIsid(uint isid) => Int(OxmBasicField.PbbIsid, isid, null, 0xffffff);

    public static OxmField PbbIsid(uint isid, uint mask) => Int(OxmBasicField.PbbIsid, isid, mask, 0xffffff);

    public static OxmField TunnelId(ulong id) => Int(OxmBasicField.TunnelId, id);

    public static OxmField TunnelId(ulong id, ulong mask) => Int(OxmBasicField.TunnelId, id, mask);

    public static OxmField Ipv6Exthdr(ushort flags) => Int(OxmBasicField.Ipv6Exthdr, flags, null, 0x1ff);

    public static OxmField Ipv6Exthdr(ushort flags, ushort mask) => Int(OxmBasicField.Ipv6Exthdr, flags, mask, 0x1ff);
}
