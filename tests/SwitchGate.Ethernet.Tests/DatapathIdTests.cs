namespace SwitchGate.Ethernet.Tests;

public sealed class DatapathIdTests
{
    [Theory]
    [InlineData("0x0000000000000001", 1UL)]
    [InlineData("0X00000000000000FF", 0xFFUL)]
    [InlineData("1", 1UL)]
    [InlineData("ffffffffffffffff", ulong.MaxValue)]
    [InlineData("00:00:00:00:00:00:00:2a", 0x2AUL)]
    public void Parses_the_forms_ovs_prints(string text, ulong expected)
    {
        Assert.True(DatapathId.TryParse(text, out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0x")]
    [InlineData("10000000000000000")]
    [InlineData("0x00:01")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1g")]
    [InlineData("١")]
    public void Refuses_anything_else(string? text)
    {
        Assert.False(DatapathId.TryParse(text, out var value));
        Assert.Equal(0UL, value);
    }
}
