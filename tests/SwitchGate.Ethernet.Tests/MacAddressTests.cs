using SwitchGate.Ethernet;

namespace SwitchGate.Ethernet.Tests;

public sealed class MacAddressTests
{
    [Fact]
    public void Parse_format_and_bits()
    {
        var mac = MacAddress.Parse("AA:bb:0C:dd:ee:0F");
        Assert.Equal("aa:bb:0c:dd:ee:0f", mac.ToString());
        Assert.Equal(0xaabb0cddee0fUL, mac.Value);
        Assert.False(mac.IsMulticast);
        Assert.True(MacAddress.Parse("01:00:5e:00:00:01").IsMulticast);
        Assert.True(MacAddress.Broadcast.IsMulticast);
        Assert.True(MacAddress.Broadcast.IsBroadcast);
        Assert.Equal("ff:ff:ff:ff:ff:ff", MacAddress.Broadcast.ToString());
        Assert.Equal(MacAddress.Parse("02:00:00:00:01:01"), MacAddress.Parse("02-00-00-00-01-01"));
    }

    [Fact]
    public void Unicast_means_individual_and_not_zero()
    {
        Assert.True(MacAddress.Parse("02:53:47:00:00:01").IsUnicast);
        Assert.False(MacAddress.Zero.IsUnicast);
        Assert.False(MacAddress.Parse("01:80:c2:00:00:0e").IsUnicast);
        Assert.False(MacAddress.Broadcast.IsUnicast);
    }

    [Fact]
    public void Octets_round_trip_in_transmission_order()
    {
        var mac = MacAddress.Parse("00:11:22:33:44:55");
        Assert.Equal(new byte[] { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 }, mac.ToBytes());
        Span<byte> b = stackalloc byte[8];
        mac.WriteTo(b);
        Assert.Equal(mac, MacAddress.Read(b));
        Assert.Equal(mac, MacAddress.FromBytes(b[..6]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("nope")]
    [InlineData("aa:bb:cc:dd:ee")]
    [InlineData("aa:bb:cc:dd:ee:ff:00")]
    [InlineData("aa:bb:cc:dd:ee:gg")]
    [InlineData("aa:bb-cc:dd:ee:ff")]
    [InlineData("aa.bb.cc.dd.ee.ff")]
    [InlineData("aabb.ccdd.eeff...")]
    [InlineData(" a:bb:cc:dd:ee:ff")]
    [InlineData("aa:bb:cc:dd:ee:f ")]
    [InlineData("+a:bb:cc:dd:ee:ff")]
    [InlineData("aa:bb:cc:dd:ee:\uff10\uff10")]
    [InlineData("aa:bb:cc:dd:ee:٠٠")]
    [InlineData("aabbccddeeff")]
    [InlineData("aa::bb:cc:dd:ee:f")]
    public void Bad_text_is_refused(string text)
    {
        Assert.False(MacAddress.TryParse(text, out var mac));
        Assert.Equal(default, mac);
        var e = Assert.Throws<FormatException>(() => MacAddress.Parse(text));
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_text_is_refused()
    {
        Assert.False(MacAddress.TryParse(null, out _));
    }

    [Fact]
    public void Out_of_range_values_and_short_buffers_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MacAddress(1UL << 48));
        Assert.Throws<ArgumentException>(() => MacAddress.Read(new byte[5]));
        Assert.Throws<ArgumentException>(() => MacAddress.FromBytes(new byte[7]));
        Assert.Throws<ArgumentException>(() => MacAddress.FromBytes([]));
        Assert.Throws<ArgumentException>(() => MacAddress.Zero.WriteTo(new byte[5]));
    }
}
