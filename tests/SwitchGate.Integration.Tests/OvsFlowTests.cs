using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>Parsing of ovs-ofctl dump-flows lines (pure).</summary>
public class OvsFlowTests
{
    [Fact]
    public void Parses_a_learned_flow()
    {
        var f = OvsFlow.Parse(" cookie=0x4c32000000000001, duration=0.949s, table=1, n_packets=4, n_bytes=392, idle_timeout=300, send_flow_rem priority=100,in_port=1,dl_src=02:00:00:00:00:01 actions=goto_table:2");
        Assert.Equal((0x4c32000000000001UL, (byte)1, 4UL, 100, 300), (f.Cookie, f.Table, f.Packets, f.Priority, f.IdleTimeout));
        Assert.Equal("in_port=1,dl_src=02:00:00:00:00:01", f.Match);
        Assert.Equal("goto_table:2", f.Actions);
        Assert.True(f.Matches("dl_src", "02:00:00:00:00:01"));
        Assert.False(f.Matches("dl_dst", "02:00:00:00:00:01"));
    }

    [Fact]
    public void Parses_a_match_all_flow_without_timeouts()
    {
        var f = OvsFlow.Parse("cookie=0x4741000000000000, duration=1.042s, table=0, n_packets=10, n_bytes=868, priority=0 actions=goto_table:1");
        Assert.Equal((0, "", "goto_table:1", 0), (f.Priority, f.Match, f.Actions, f.IdleTimeout));
    }

    [Theory]
    [InlineData("")]
    [InlineData("OFPST_FLOW reply (OF1.3) (xid=0x2):")]
    [InlineData("cookie=0x1, table=0 actions=drop")]
    public void Rejects_other_lines(string line) =>
        Assert.Throws<FormatException>(() => OvsFlow.Parse(line));
}
