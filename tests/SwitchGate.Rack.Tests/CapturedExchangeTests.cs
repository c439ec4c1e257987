using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// The Wireshark dissector (tools/wireshark/switchgate.lua) against a real exchange: tshark captures bs1's NIC
/// inside its namespace while the real agent attests and departs through OVS and the gate, then decodes the
/// capture with the dissector. The attestation tests' pcap is written by our codec; this one is not.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
[Trait("Requires", "tshark")]
public sealed class CapturedExchangeTests
{
    [Fact]
    public async Task Tshark_decodes_a_captured_attest_and_depart_with_nothing_malformed()
    {
        await using var rack = await RackFixture.StartAsync(leaseSeconds: 6);
        var pcap = Path.Combine(Path.GetTempPath(), $"sg-exchange-{Guid.NewGuid():N}.pcapng");
        try
        {
            await using (var capture = ManagedProcess.Start("ip",
                ["netns", "exec", rack.Topology.Names.Namespace("bs1"), "tshark", "-n", "-i", "eth0", "-f", "ether proto 0x88b5", "-w", pcap]))
            {
                // "Capture started" is dumpcap's own report that it is capturing (see the wire check of issue 2).
                await capture.WaitForLineAsync(new Regex("Capture started"), TimeSpan.FromSeconds(30));
                await Task.Delay(300);

                var attest = await rack.AttestOnceAsync("bs1");
                Assert.True(attest.Succeeded, attest + rack.ControllerOutput());
                var depart = await rack.DepartAsync("bs1");
                Assert.True(depart.Succeeded, depart + rack.ControllerOutput());

                await Task.Delay(500);
                await capture.StopAsync("INT", TimeSpan.FromSeconds(10));
            }

            var dissector = Path.Combine(Paths.Root, "tools", "wireshark", "switchgate.lua");
            string[] read = ["-n", "-X", "lua_script:" + dissector, "-r", pcap];
            var types = await CommandRunner.RunAsync("tshark", [.. read, "-Y", "switchgate", "-T", "fields", "-e", "switchgate.type"], TimeSpan.FromSeconds(60));
            var seen = types.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            // HELLO, CHALLENGE, EVIDENCE, ROTATE (before its VERDICT), VERDICT (admitted), ROTATED, DEPART, VERDICT (revoked).
            Assert.Equal(["1", "2", "3", "6", "4", "7", "5", "4"], seen);

            var bad = await CommandRunner.RunAsync("tshark",
                [.. read, "-Y", "_ws.malformed || _ws.expert.severity >= error || switchgate.malformed"], TimeSpan.FromSeconds(60));
            Assert.True(bad.StandardOutput.Trim().Length == 0, "frames the dissector flags:\n" + bad.StandardOutput);
        }
        finally
        {
            File.Delete(pcap);
        }
    }
}
