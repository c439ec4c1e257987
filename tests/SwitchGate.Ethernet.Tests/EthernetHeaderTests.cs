namespace SwitchGate.Ethernet.Tests;

public sealed class EthernetHeaderTests
{
    private static readonly MacAddress A = MacAddress.Parse("02:00:00:00:00:01");
    private static readonly MacAddress B = MacAddress.Parse("02:00:00:00:00:02");

    [Fact]
    public void Frame_writes_the_header_and_pads_to_the_minimum()
    {
        var frame = new EthernetHeader(B, A, EtherTypes.Arp).Frame([0xAA, 0xBB]);
        Assert.Equal(EthernetHeader.MinimumFrameLength, frame.Length);
        Assert.Equal(Convert.FromHexString("020000000002" + "020000000001" + "0806" + "AABB"), frame[..16]);
        Assert.All(frame[16..], b => Assert.Equal(0, b));
        Assert.True(EthernetHeader.TryRead(frame, out var header));
        Assert.Equal(new EthernetHeader(B, A, EtherTypes.Arp), header);
        Assert.False(header.IsVlanTagged);
    }

    [Fact]
    public void A_long_payload_is_not_padded()
    {
        var frame = new EthernetHeader(B, A, EtherTypes.Ipv4).Frame(new byte[100]);
        Assert.Equal(114, frame.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    [InlineData(13)]
    public void A_frame_shorter_than_the_header_is_refused(int length)
    {
        Assert.False(EthernetHeader.TryRead(new byte[length], out var header));
        Assert.Equal(default, header);
        Assert.False(EthernetHeader.TryReadInnerEtherType(new byte[length], out _, out _));
        Assert.Throws<ArgumentException>(() => header.WriteTo(new byte[length]));
    }

    [Theory]
    [InlineData("88B5", 0x88B5, 14)]
    [InlineData("8100 0005 88B5", 0x88B5, 18)]
    [InlineData("88A8 0005 8100 0006 0800", 0x0800, 22)]
    [InlineData("9100 0005 9100 0006 8100 0007 86DD", 0x86DD, 26)]
    public void The_inner_EtherType_is_found_behind_any_tag_stack(string tail, int etherType, int payloadOffset)
    {
        var frame = Convert.FromHexString("FFFFFFFFFFFF020000000001" + tail.Replace(" ", "", StringComparison.Ordinal));
        Assert.True(EthernetHeader.TryRead(frame, out var header));
        Assert.Equal(payloadOffset > 14, header.IsVlanTagged);
        Assert.True(EthernetHeader.TryReadInnerEtherType(frame, out var inner, out var offset));
        Assert.Equal(etherType, inner);
        Assert.Equal(payloadOffset, offset);
    }

    [Theory]
    [InlineData("8100")]
    [InlineData("8100 00")]
    [InlineData("8100 0005")]
    [InlineData("88A8 0005 8100 0006 81")]
    public void A_frame_that_ends_inside_its_tags_has_no_inner_EtherType(string tail)
    {
        var frame = Convert.FromHexString("FFFFFFFFFFFF020000000001" + tail.Replace(" ", "", StringComparison.Ordinal));
        Assert.False(EthernetHeader.TryReadInnerEtherType(frame, out _, out _));
    }

    [Fact]
    public void The_VLAN_TPIDs_are_the_three_a_switch_here_parses()
    {
        Assert.Equal([0x8100, 0x88A8, 0x9100], EtherTypes.VlanTpids);
        Assert.All(EtherTypes.VlanTpids, t => Assert.True(EtherTypes.IsVlanTpid(t)));
        Assert.False(EtherTypes.IsVlanTpid(EtherTypes.LocalExperimental1));
    }
}
