using SwitchGate.Attestation.Enrolment;
using SwitchGate.BootAgent.Core;

namespace SwitchGate.BootAgent.Tests;

/// <summary>The command line's exit codes on a real swtpm: every refusal is one line and a documented code, never a crash.</summary>
[Trait("Requires", "swtpm")]
public sealed class CommandLineTests : IClassFixture<CommandLineTests.TpmFixture>, IDisposable
{
    public sealed class TpmFixture : IDisposable
    {
        public SwtpmInstance Swtpm { get; } = new();

        public void Dispose() => Swtpm.Dispose();
    }

    private readonly SwtpmInstance _swtpm;
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-agent-cli-").FullName;

    public CommandLineTests(TpmFixture fixture) => _swtpm = fixture.Swtpm;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private Task<int> Run(params string[] args) =>
        AgentCommands.Build().Parse([.. args, "--tpm", _swtpm.Spec, "--state-dir", Path.Combine(_dir, "state"), "--interface", "lo"]).InvokeAsync();

    private string[] Enrol(string node = "bs1") =>
        ["enrol", "--node", node, "--datapath-id", "0x2a", "--port", "7", "--clean-mac", "02:00:00:00:01:01", "--dirty-mac", "02:00:00:00:01:02",
         "--out", Path.Combine(_dir, "bs1.json")];

    [Fact]
    public async Task Measure_enrol_and_their_refusals()
    {
        await _swtpm.Endpoint().PowerCycleAsync();
        Assert.Equal(ExitCodes.NotClean, await Run(Enrol()));      // not measured yet
        Assert.Equal(ExitCodes.Ok, await Run("measure"));
        Assert.Equal(ExitCodes.NotClean, await Run("measure"));    // the launch runs once per reset
        Assert.Equal(ExitCodes.Ok, await Run(Enrol()));
        var record = EnrolmentRecord.FromJson(File.ReadAllBytes(Path.Combine(_dir, "bs1.json")));
        Assert.Equal(0x2aUL, record.DatapathId);
        Assert.Equal(7u, record.Port);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir, "bs1.json")));

        Assert.Equal(ExitCodes.Usage, await Run(Enrol()));         // would replace the AK and secret
        Assert.Equal(ExitCodes.Ok, await Run([.. Enrol(), "--replace"]));
        Assert.NotEqual(record.ProofKey, EnrolmentRecord.FromJson(File.ReadAllBytes(Path.Combine(_dir, "bs1.json"))).ProofKey);
        Assert.Equal(ExitCodes.Ok, await Run("status"));
    }

    [Fact]
    public async Task Bad_options_are_usage_errors()
    {
        Assert.Equal(ExitCodes.Usage, await AgentCommands.Build().Parse(["measure", "--tpm", "tcp:nowhere"]).InvokeAsync());
        Assert.Equal(ExitCodes.Usage, await Run("enrol", "--datapath-id", "1", "--port", "1", "--clean-mac", "02:00:00:00:01:01",
            "--dirty-mac", "02:00:00:00:01:02", "--out", Path.Combine(_dir, "x.json"))); // no --node
        Assert.Equal(ExitCodes.Usage, await Run([.. Enrol(), "--clean-mac", "01:00:00:00:00:01"]));
        Assert.Equal(ExitCodes.Usage, await Run("attest", "--once"));   // not enrolled
        Assert.Equal(ExitCodes.Usage, await Run("attest"));             // --once is the default
        Assert.NotEqual(ExitCodes.Ok, await Run("attest", "--once", "--stay"));
        Assert.Equal(ExitCodes.Usage, await AgentCommands.Build().Parse(["reboot", "--tpm", "device:/dev/null", "--state-dir", _dir]).InvokeAsync());
    }

    [Fact]
    public async Task An_unreachable_TPM_is_a_failure_not_a_crash()
    {
        Assert.Equal(ExitCodes.Failure, await AgentCommands.Build().Parse(["measure", "--tpm", "tcp:127.0.0.1:1"]).InvokeAsync());
    }
}
