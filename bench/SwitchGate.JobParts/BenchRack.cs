using SwitchGate.Topology;

namespace SwitchGate.JobParts;

/// <summary>
/// What every rack measurement of this tool starts from: the controller with the gate, the topology through OVS, the
/// rack's swtpms and agents, and bs1 enrolled. Disposal stops every process by pid (rack, else the bare topology), then
/// the controller, and deletes the work directory.
/// </summary>
internal sealed class BenchRack : IAsyncDisposable
{
    private ControllerProcess? _controller;
    private RunningTopology? _topology;
    private Rack? _rack;

    private BenchRack(string work)
    {
        Work = work;
        Enrolments = Directory.CreateDirectory(Path.Combine(work, "enrolments")).FullName;
    }

    public string Work { get; }
    public string Enrolments { get; }
    public TopologySpec Spec { get; private set; } = null!;
    public RunningTopology Topology => _topology!;
    public BootServer Bs1 { get; private set; } = null!;

    public static async Task<BenchRack> StartAsync(string cliDll, string agentDll, string topologyFile, CancellationToken ct)
    {
        var bench = new BenchRack(Directory.CreateTempSubdirectory("sg-jobparts-").FullName);
        try
        {
            bench._controller = await ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(cliDll), 0,
                ["--enrolments", bench.Enrolments, "--audit-log", Path.Combine(bench.Work, "audit.jsonl"), "--lease", "10", "--enrolment-poll", "0.5"], cancel: ct);
            bench.Spec = TopologyLoader.LoadFile(topologyFile);
            bench._topology = await TopologyRunner.UpAsync(bench.Spec, new TopologyRunOptions { ControllerPort = bench._controller.Port }, ct);
            bench._rack = await Rack.StartAsync(bench._topology, new RackOptions { AgentCommand = ["dotnet", agentDll] }, ct);
            await bench._controller.WaitForSwitchReadyAsync(bench.Spec.Switches[0].DatapathId, TimeSpan.FromSeconds(30), cancel: ct);
            bench.Bs1 = bench._rack.BootServer("bs1");
            await bench.Bs1.EnrolAsync(bench.Enrolments, ct);
            return bench;
        }
        catch
        {
            await bench.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_rack is not null) await _rack.DisposeAsync();
        else if (_topology is not null) await _topology.DisposeAsync();
        if (_controller is not null) await _controller.DisposeAsync();
        try { Directory.Delete(Work, recursive: true); } catch (IOException) { }
    }
}
