using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>`switchgate controller run` with the gate's options: a bad setting is one line on stderr and exit 2, before listening.</summary>
public sealed class ControllerGateOptionsTests
{
    private static Task<CommandResult> Run(params string[] args) =>
        CommandRunner.TryRunAsync("dotnet", new[] { Paths.CliDll, "controller", "run", "--port", "0", "--plaintext" }.Concat(args), TimeSpan.FromSeconds(60));

    [Theory]
    [InlineData("does not exist", "--enrolments", "/nonexistent/switchgate-enrolments", "--audit-log", "/tmp/sg-never-written.jsonl")]
    [InlineData("gate.audit_log: required", "--enrolments", "/tmp")]
    [InlineData("gate.audit_log: needs gate.enrolments", "--audit-log", "/tmp/sg-never-written.jsonl")]
    [InlineData("gate.lease: 0 is outside", "--enrolments", "/tmp", "--audit-log", "/tmp/sg-never-written.jsonl", "--lease", "0")]
    [InlineData("gate.nonce_lifetime", "--enrolments", "/tmp", "--audit-log", "/tmp/sg-never-written.jsonl", "--lease", "4", "--nonce-lifetime", "4")]
    [InlineData("gate.meter_rate", "--enrolments", "/tmp", "--audit-log", "/tmp/sg-never-written.jsonl", "--meter-rate", "0")]
    [InlineData("gate.audit_log: cannot append", "--enrolments", "/tmp", "--audit-log", "/nonexistent/switchgate/audit.jsonl")]
    public async Task A_bad_gate_setting_is_refused_in_one_line_with_exit_2(string problem, params string[] args)
    {
        var result = await Run(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(problem, result.StandardError);
        Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.DoesNotContain("listening on", result.StandardOutput);
        Assert.False(File.Exists("/tmp/sg-never-written.jsonl"));
    }
}
