using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>`switchgate demo` on topology/rack.yaml (what scripts/demo runs): the report passes, and nothing is left behind, also when stopped half-way.</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "swtpm")]
[Trait("Requires", "qemu")]
public sealed partial class DemoTests
{
    [GeneratedRegex(@"rack up \(run (sg[0-9a-f]{4})\).*?swtpm pid (\d+).*?swtpm pid (\d+)")]
    private static partial Regex RackUpLine();

    private static async Task AssertNothingLeftAsync(string prefix, IEnumerable<int> pids)
    {
        var namespaces = await CommandRunner.RunAsync("ip", "netns", "list");
        Assert.DoesNotContain(prefix + "-", namespaces.StandardOutput);
        var links = await CommandRunner.RunAsync("ip", "-br", "link");
        Assert.DoesNotContain(prefix + "-", links.StandardOutput);
        Assert.False((await CommandRunner.TryRunAsync("ovs-vsctl", "br-exists", prefix + "-s1")).Succeeded, "the bridge is still there");
        foreach (var pid in pids)
            Assert.False(Directory.Exists($"/proc/{pid}") && File.ReadAllText($"/proc/{pid}/cmdline").StartsWith("swtpm", StringComparison.Ordinal), $"swtpm {pid} still runs");
    }

    [Fact]
    public async Task The_rack_demo_passes_every_step_and_tears_everything_down()
    {
        var demo = await CommandRunner.TryRunAsync("dotnet", [Paths.CliDll, "demo", "--lease", "6"], TimeSpan.FromSeconds(360));
        var output = demo.StandardOutput + demo.StandardError;
        Assert.True(demo.ExitCode == 0, output);
        Assert.Contains("[ ok ] before attestation: ping bs1 -> prod is blocked", output);
        Assert.Contains("[ ok ] attest: HELLO, CHALLENGE, EVIDENCE", output);
        Assert.Contains("[ ok ] secret rotated: ROTATE", output);
        Assert.Contains("[ ok ] admitted: ping bs1 -> prod (10.0.0.100): 3/3 replies", output);
        Assert.Contains("[ ok ] after depart: ping bs1 -> prod fails", output);
        Assert.Contains("[ ok ] attest again:", output);
        // The boot job (docs/jobs.md): bs1 dirty and dropped, the guest handed back and running on at prod.
        Assert.Contains("[ ok ] while bs1 is dirty: ping prod -> bs1 gets no answer", output);
        Assert.Matches(@"\[ ok \] prod received the second image .* paused at counter=\d+ on bs1, now counter=\d+ on prod", output);
        Assert.Matches(@"\[ ok \] boot job service stopped with SIGTERM \(pid \d+, exit code 0\)", output);
        var resumed = Regex.Match(output, @"resumed job=\S+ pid=(\d+)");
        Assert.True(resumed.Success, output);
        Assert.False(Directory.Exists($"/proc/{resumed.Groups[1].Value}"), "the guest resumed on prod still runs");
        Assert.DoesNotContain("FAIL", output);
        Assert.EndsWith("RESULT: PASS", output.Trim());
        var up = RackUpLine().Match(output);
        Assert.True(up.Success, output);
        await AssertNothingLeftAsync(up.Groups[1].Value, [int.Parse(up.Groups[2].Value), int.Parse(up.Groups[3].Value)]);
    }

    [Fact]
    public async Task SIGTERM_in_the_middle_of_the_demo_tears_the_rack_down_and_reports_failure()
    {
        await using var demo = ManagedProcess.Start("dotnet", [Paths.CliDll, "demo", "--lease", "6"]);
        var up = await demo.WaitForLineAsync(RackUpLine(), TimeSpan.FromSeconds(90));
        await demo.StopAsync("TERM", TimeSpan.FromSeconds(60));
        var output = string.Join('\n', demo.Lines);
        Assert.True(demo.ExitCode == 1, output);
        Assert.Contains("RESULT: FAIL", output);
        Assert.Contains("controller stopped with SIGTERM", output);
        await AssertNothingLeftAsync(up.Groups[1].Value, [int.Parse(up.Groups[2].Value), int.Parse(up.Groups[3].Value)]);
    }
}
