using SwitchGate.Controller;
using SwitchGate.Gate;
using SwitchGate.Operations.Metrics;

namespace SwitchGate.Operations.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void The_exposition_passes_the_strict_parser_and_counts_what_was_recorded()
    {
        using var exporter = new PrometheusExporter(() => [new GaugeSample("switchgate_connected_switches", "Switches", 2)]);
        var before = PrometheusText.Parse(exporter.Render());
        ControllerMetrics.PacketIns.Add(3);
        ControllerMetrics.BarrierRoundTrip.Record(0.002);
        ControllerMetrics.BarrierRoundTrip.Record(7);
        GateMetrics.Verdicts.Add(1, new("verdict", "denied"), new("reason", "Bad \"quoted\" \\ reason\nx"));
        var after = PrometheusText.Parse(exporter.Render());
        Assert.Equal(2, PrometheusText.Sum(after, "switchgate_connected_switches"));
        Assert.Equal(3, PrometheusText.Sum(after, "switchgate_packet_ins_total") - PrometheusText.Sum(before, "switchgate_packet_ins_total"));
        Assert.Equal(2, PrometheusText.Sum(after, "switchgate_barrier_rtt_seconds_count") - PrometheusText.Sum(before, "switchgate_barrier_rtt_seconds_count"));
        Assert.Contains(after, s => s.Name == "switchgate_attestations_total" && s.Labels["reason"] == "Bad \"quoted\" \\ reason\nx");
        Assert.Contains(after, s => s.Name == "switchgate_barrier_rtt_seconds_bucket" && s.Labels["le"] == "0.0025" && s.Value >= 1);
    }

    [Theory]
    [InlineData("x 1\n", "sample without a TYPE")]
    [InlineData("# TYPE x counter\nx 1\n", "must end in _total")]
    [InlineData("# TYPE x_total counter\nx_total -1\n", "negative counter")]
    [InlineData("# TYPE x gauge\nx{a=\"1} 1\n", "")]
    [InlineData("# TYPE x gauge\nx{a=b} 1\n", "quoted")]
    [InlineData("# TYPE x gauge\nx one\n", "bad value")]
    [InlineData("# TYPE x gauge\nx 1", "newline")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n", "not increasing")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n", "+Inf")]
    [InlineData("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na 2\n", "not contiguous")]
    public void The_parser_is_strict(string text, string problem)
    {
        var e = Assert.ThrowsAny<Exception>(() => PrometheusText.Parse(text));
        Assert.Contains(problem, e.Message);
    }
}
