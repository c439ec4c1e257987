using System.Net;
using SwitchGate.Ethernet;

namespace SwitchGate.OpenFlow.Tests;

public class MatchTests
{
    [Theory]
    [InlineData("ipv4_src without eth_type")]
    [InlineData("tcp_dst with udp proto")]
    [InlineData("arp_op with ipv4 eth_type")]
    [InlineData("ipv6_nd_sll with neighbour advertisement")]
    [InlineData("in_phy_port without in_port")]
    [InlineData("vlan_pcp untagged")]
    public void Encoding_a_match_with_a_missing_prerequisite_throws(string which)
    {
        var match = which switch
        {
            "ipv4_src without eth_type" => Match.Of(Oxm.Ipv4Src(IPAddress.Parse("10.0.0.1"))),
            "tcp_dst with udp proto" => Match.Of(Oxm.EthType(0x0800), Oxm.IpProto(17), Oxm.TcpDst(80)),
            "arp_op with ipv4 eth_type" => Match.Of(Oxm.EthType(0x0800), Oxm.ArpOp(1)),
            "ipv6_nd_sll with neighbour advertisement" => Match.Of(Oxm.EthType(0x86dd), Oxm.IpProto(58), Oxm.Icmpv6Type(136), Oxm.Ipv6NdSll(MacAddress.Broadcast)),
            "in_phy_port without in_port" => Match.Of(Oxm.InPhyPort(1)),
            "vlan_pcp untagged" => Match.Of(Oxm.VlanVid(OfpVlanId.None), Oxm.VlanPcp(1)),
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };
        var flowMod = new FlowMod { Match = match };
        var invalid = Assert.Throws<InvalidMatchException>(() => OfpCodec.Encode(flowMod));
        Assert.Contains("requires", invalid.Reason);
        Assert.IsAssignableFrom<ArgumentException>(invalid);
    }

    [Fact]
    public void Eth_type_cannot_be_masked() =>
        Assert.Throws<ArgumentException>(() => Oxm.Basic(OxmBasicField.EthType, [0x08, 0x00], [0xff, 0xff]));

    [Fact]
    public void Duplicate_fields_and_value_bits_outside_the_mask_are_refused()
    {
        Assert.Contains("more than once", Assert.Throws<InvalidMatchException>(() => OfpCodec.Encode(new FlowMod { Match = Match.Of(Oxm.InPort(1), Oxm.InPort(2)) })).Reason);
        var loose = Oxm.EthDst(MacAddress.Parse("01:00:00:00:00:01"), MacAddress.Parse("01:00:00:00:00:00"));
        Assert.Contains("outside its mask", Assert.Throws<InvalidMatchException>(() => OfpCodec.Encode(new FlowMod { Match = Match.Of(loose) })).Reason);
    }

    [Fact]
    public void Verbatim_encoding_skips_the_check_so_decoded_messages_re_encode()
    {
        var invalid = new FlowMod { Match = Match.Of(Oxm.TcpDst(80)) };
        var bytes = OfpCodec.Encode(invalid, OfpEncodeOptions.Verbatim);
        Assert.Equal(invalid.Match, ((FlowMod)OfpCodec.Decode(bytes)).Match);
    }

    [Fact]
    public void Valid_layered_match_is_accepted()
    {
        var match = Match.Of(
            Oxm.InPort(1),
            Oxm.EthType(0x0800),
            Oxm.Ipv4Dst(IPAddress.Parse("10.0.0.0"), IPAddress.Parse("255.0.0.0")),
            Oxm.IpProto(6),
            Oxm.TcpDst(443),
            Oxm.VlanVidTagged(10),
            Oxm.VlanPcp(5));
        var back = (FlowMod)OfpCodec.Decode(OfpCodec.Encode(new FlowMod { Match = match }));
        Assert.Equal(match, back.Match);
        Assert.Equal((ushort)0x0800, back.Match.EthType);
        Assert.Equal("match(in_port=1, eth_type=2048, ipv4_dst=10.0.0.0/255.0.0.0, ip_proto=6, tcp_dst=443, vlan_vid=4106, vlan_pcp=5)", back.Match.ToString());
    }

    [Fact]
    public void Factories_check_ranges_and_address_families()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Oxm.VlanPcp(8));
        Assert.Throws<ArgumentOutOfRangeException>(() => Oxm.MplsLabel(0x100000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Oxm.VlanVidTagged(4096));
        Assert.Throws<ArgumentException>(() => Oxm.Ipv4Src(IPAddress.IPv6Loopback));
        Assert.Throws<ArgumentException>(() => Oxm.Ipv6Src(IPAddress.Loopback));
        Assert.Throws<ArgumentException>(() => Oxm.Basic(OxmBasicField.InPort, [1, 2, 3]));
    }

    [Fact]
    public void All_forty_basic_fields_have_factories_that_encode_their_spec_sizes()
    {
        Assert.Equal(40, Oxm.Fields.Count);
        var mac = MacAddress.Parse("00:11:22:33:44:55");
        OxmField[] fields =
        [
            Oxm.InPort(1), Oxm.InPhyPort(1), Oxm.Metadata(1), Oxm.EthDst(mac), Oxm.EthSrc(mac), Oxm.EthType(0x0800), Oxm.VlanVid(0x1001),
            Oxm.VlanPcp(1), Oxm.IpDscp(1), Oxm.IpEcn(1), Oxm.IpProto(1), Oxm.Ipv4Src(IPAddress.Loopback), Oxm.Ipv4Dst(IPAddress.Loopback),
            Oxm.TcpSrc(1), Oxm.TcpDst(1), Oxm.UdpSrc(1), Oxm.UdpDst(1), Oxm.SctpSrc(1), Oxm.SctpDst(1), Oxm.Icmpv4Type(1), Oxm.Icmpv4Code(1),
            Oxm.ArpOp(1), Oxm.ArpSpa(IPAddress.Loopback), Oxm.ArpTpa(IPAddress.Loopback), Oxm.ArpSha(mac), Oxm.ArpTha(mac),
            Oxm.Ipv6Src(IPAddress.IPv6Loopback), Oxm.Ipv6Dst(IPAddress.IPv6Loopback), Oxm.Ipv6Flabel(1), Oxm.Icmpv6Type(1), Oxm.Icmpv6Code(1),
            Oxm.Ipv6NdTarget(IPAddress.IPv6Loopback), Oxm.Ipv6NdSll(mac), Oxm.Ipv6NdTll(mac), Oxm.MplsLabel(1), Oxm.MplsTc(1), Oxm.MplsBos(1),
            Oxm.PbbIsid(1), Oxm.TunnelId(1), Oxm.Ipv6Exthdr(1),
        ];
        for (var i = 0; i < fields.Length; i++)
        {
            Assert.Equal((OxmBasicField)i, fields[i].BasicField);
            Assert.Equal(Oxm.Fields[i].Length, fields[i].PayloadLength);
            Assert.Equal(0x80000000u | ((uint)i << 9) | (uint)Oxm.Fields[i].Length, fields[i].Header);
        }
    }

    [Fact]
    public void Experimenter_and_nicira_fields_round_trip_opaque()
    {
        var onf = Oxm.ExperimenterField(Oxm.OnfExperimenterId, 0, [0x0a, 0x00, 0x01]);
        var nx = Oxm.Other(OxmClass.Nxm1, 31, [1, 2, 3, 4]);
        var match = new Match([nx, onf]);
        var bytes = OfpCodec.Encode(new FlowMod { Match = match });
        Assert.Equal(match, ((FlowMod)OfpCodec.Decode(bytes)).Match);
        Assert.Equal("pbb_uca", onf.Name);
        Assert.Equal("tun_ipv4_src", nx.Name);
        Assert.Equal(0xffff0007u, onf.Header);
    }
}
