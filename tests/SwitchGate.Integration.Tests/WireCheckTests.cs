using System.Net;
using System.Net.Sockets;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>Item 8: Wireshark's OpenFlow dissector finds nothing wrong in a real controller-switch conversation.</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "tshark")]
public class WireCheckTests
{
    // ofp_type values, OpenFlow 1.3.5 §7.1 (enum ofp_type).
    private const int Hello = 0, EchoRequest = 2, EchoReply = 3, FeaturesRequest = 5, FeaturesReply = 6,
        PacketIn = 10, PacketOut = 13, FlowMod = 14, MultipartRequest = 18, MultipartReply = 19,
        BarrierRequest = 20, BarrierReply = 21;

    [Fact]
    public async Task Wireshark_finds_no_malformed_packet_in_a_handshake_with_traffic()
    {
        var port = SystemState.FreePort();
        await using var wire = await WireCheck.StartAsync(port);

        var spec = SystemState.DefaultTopology();
        // A short echo interval so keepalives are on the wire too.
        await using (var controller = await ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(RepoPaths.CliDll), port,
            ["--echo-interval", "1", "--echo-timeout", "5"]))
        {
            await using (var topo = await TopologyRunner.UpAsync(spec, new() { ControllerPort = port }))
            {
                await controller.WaitForSwitchReadyAsync(spec.Switch("s1").DatapathId, TimeSpan.FromSeconds(30));
                Assert.True((await topo.PingAsync("h1", "h2")).Succeeded);
                Assert.True((await topo.PingAsync("h2", "h1")).Succeeded);
                await Task.Delay(TimeSpan.FromSeconds(2.5)); // idle: echo request/reply
            }
            await controller.Process.StopAsync();
        }

        var verdict = await wire.StopAndAnalyzeAsync();
        Assert.Empty(verdict.Problems);
        // The check means something only if Wireshark decoded the conversation as OpenFlow 1.3.
        Assert.Superset(
            new HashSet<int> { Hello, EchoRequest, EchoReply, FeaturesRequest, FeaturesReply, PacketIn, PacketOut, FlowMod, MultipartRequest, MultipartReply, BarrierRequest, BarrierReply },
            verdict.MessageTypes.ToHashSet());
    }

    /// <summary>The check can fail: a truncated FEATURES_REPLY on the wire is reported.</summary>
    [Fact]
    public async Task The_wire_check_reports_a_malformed_message()
    {
        var port = SystemState.FreePort();
        await using var wire = await WireCheck.StartAsync(port);
        var listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            using var server = await listener.AcceptTcpClientAsync();
            // HELLO (version 4, type 0, length 8), then a FEATURES_REPLY whose header claims 12
            // bytes: the fixed part is 32 (§7.3.1), so the dissector runs out of message.
            byte[] bytes = [0x04, 0x00, 0x00, 0x08, 0, 0, 0, 1, 0x04, 0x06, 0x00, 0x0c, 0, 0, 0, 2, 0, 0, 0, 1];
            await client.GetStream().WriteAsync(bytes);
            var received = new byte[bytes.Length];
            await server.GetStream().ReadExactlyAsync(received);
        }
        finally
        {
            listener.Stop();
        }

        var verdict = await wire.StopAndAnalyzeAsync();
        Assert.Contains(0, verdict.MessageTypes);
        Assert.NotEmpty(verdict.Problems);
    }
}
