using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>`switchgate topology ...` and `switchgate demo`, run as the built CLI.</summary>
public class CliTopologyTests
{
    private static readonly string Default = Path.Combine(RepoPaths.Root, "topology", "default.yaml");

    private static Task<CommandResult> Cli(params string[] args) =>
        CommandRunner.TryRunAsync("dotnet", new[] { RepoPaths.CliDll }.Concat(args), TimeSpan.FromSeconds(120));

    private static ManagedProcess StartCli(params string[] args) =>
        ManagedProcess.Start("dotnet", new[] { RepoPaths.CliDll }.Concat(args));

    private static async Task<string> WaitUntilUpAsync(ManagedProcess up)
    {
        var match = await up.WaitForLineAsync(new Regex(@"topology (sg[0-9a-f]{4}) is up"), TimeSpan.FromSeconds(60));
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task Check_accepts_the_default_topology_and_rejects_a_bad_file_in_one_line()
    {
        var ok = await Cli("topology", "check", Default);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("host   h2", ok.StandardOutput);

        var bad = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(bad, "switches: []\nhosts: []\nlinks: []\nswitch: 1\n");
            var result = await Cli("topology", "check", bad);
            Assert.Equal(2, result.ExitCode);
            Assert.Equal($"error: {bad}:4:1: unknown key 'switch' in the topology (expected one of: name, switches, hosts, links)", result.StandardError.Trim());
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Trait("Requires", "root")]
    [Trait("Requires", "ovs")]
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task Up_runs_until_signalled_then_tears_down(string signal)
    {
        await using var up = StartCli("topology", "up", Default, "--controller-port", SystemState.FreePort().ToString());
        var prefix = await WaitUntilUpAsync(up);
        Assert.NotEmpty(await SystemState.WithPrefixAsync(prefix));
        Assert.True(File.Exists($"/run/switchgate/topology/{prefix}.json"));

        // `down` leaves a live run alone.
        var down = await Cli("topology", "down", prefix);
        Assert.Equal(1, down.ExitCode);
        Assert.Contains("belongs to a running", down.StandardOutput);
        Assert.NotEmpty(await SystemState.WithPrefixAsync(prefix));

        await up.StopAsync(signal, TimeSpan.FromSeconds(30));
        Assert.Equal(0, up.ExitCode);
        Assert.Empty(await SystemState.WithPrefixAsync(prefix));
        Assert.False(File.Exists($"/run/switchgate/topology/{prefix}.json"));
        Assert.False(File.Exists($"/run/switchgate/topology/{prefix}.lock"));
    }

    [Trait("Requires", "root")]
    [Trait("Requires", "ovs")]
    [Fact]
    public async Task Down_cleans_up_after_a_killed_up()
    {
        string prefix;
        await using (var up = StartCli("topology", "up", Default, "--controller-port", SystemState.FreePort().ToString()))
        {
            prefix = await WaitUntilUpAsync(up);
            await up.KillAsync();
        }
        try
        {
            Assert.NotEmpty(await SystemState.WithPrefixAsync(prefix));
        }
        finally
        {
            var down = await Cli("topology", "down", prefix);
            Assert.True(down.ExitCode == 0, down.StandardOutput + down.StandardError);
        }
        Assert.Empty(await SystemState.WithPrefixAsync(prefix));
        Assert.Equal(1, (await Cli("topology", "down", prefix)).ExitCode);
    }

    [Trait("Requires", "root")]
    [Trait("Requires", "ovs")]
    [Fact]
    public async Task Demo_pings_both_ways_through_the_controller_and_reports_pass()
    {
        var demo = await Cli("demo", "--topology", Default);
        Assert.True(demo.ExitCode == 0, demo.StandardOutput + demo.StandardError);
        Assert.Contains("[ ok ] ping h1 -> h2", demo.StandardOutput);
        Assert.Contains("[ ok ] ping h2 -> h1", demo.StandardOutput);
        Assert.Contains("every host learned", demo.StandardOutput);
        Assert.EndsWith("RESULT: PASS", demo.StandardOutput.Trim());
        Assert.DoesNotContain("FAIL", demo.StandardOutput);
    }
}
