using System.Globalization;
using SwitchGate.Ethernet;

namespace SwitchGate.Topology;

/// <summary>How the rack runs its boot servers' software (docs/rack.md).</summary>
public sealed record RackOptions
{
    /// <summary>The agent's command, e.g. <c>["dotnet", "/path/switchgate-agent.dll"]</c>; the rack appends the agent's arguments.</summary>
    public required IReadOnlyList<string> AgentCommand { get; init; }

    /// <summary>
    /// swtpm's data port inside every boot server's namespace (control port = this + 1). Each namespace has its own
    /// loopback, so every boot server can use the agent's default port without colliding with anything.
    /// </summary>
    public int SwtpmPort { get; init; } = 2321;

    /// <summary>Timeout of one agent command (measure, enrol, attest --once, depart, reboot, status).</summary>
    public TimeSpan AgentTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>The outcome of one <c>switchgate-agent</c> command run to completion inside a boot server.</summary>
public sealed record AgentResult(string Command, int ExitCode, string Output)
{
    public bool Succeeded => ExitCode == 0;

    public override string ToString() => $"{Command} -> exit {ExitCode}\n{Output}";
}

/// <summary>
/// The test rack: a <see cref="RunningTopology"/> whose boot servers each have their own swtpm, started inside the
/// boot server's namespace on its loopback, and run <c>switchgate-agent</c> there with <c>ip netns exec</c>.
/// Disposing stops every process it started (by pid: agents, swtpm), tears the topology down, and deletes its work
/// directory (TPM state, agent state).
/// </summary>
public sealed class Rack : IAsyncDisposable
{
    private readonly string _work;
    private bool _disposed;

    private Rack(RunningTopology topology, RackOptions options, string work, IReadOnlyList<BootServer> bootServers)
    {
        Topology = topology;
        Options = options;
        _work = work;
        BootServers = bootServers;
    }

    public RunningTopology Topology { get; }

    public RackOptions Options { get; }

    public IReadOnlyList<BootServer> BootServers { get; }

    public BootServer BootServer(string name) =>
        BootServers.FirstOrDefault(b => b.Host.Name == name) ?? throw new ArgumentException($"no boot server '{name}' in the rack", nameof(name));

    /// <summary>
    /// Takes ownership of <paramref name="topology"/>: starts a swtpm in each boot server and runs the emulated
    /// measured launch there (<c>switchgate-agent measure</c>). On failure everything is torn down before rethrowing.
    /// </summary>
    public static async Task<Rack> StartAsync(RunningTopology topology, RackOptions options, CancellationToken cancel = default)
    {
        var work = Directory.CreateTempSubdirectory($"{topology.Names.Prefix}-rack-").FullName;
        var servers = new List<BootServer>();
        var rack = new Rack(topology, options, work, servers);
        try
        {
            foreach (var host in topology.Spec.Hosts.Where(h => h.Role == HostRole.BootServer))
            {
                var server = new BootServer(rack, host, Path.Combine(work, host.Name));
                servers.Add(server);
                server.StartSwtpm();
            }
            foreach (var server in servers)
                await server.MeasureAsync(cancel).ConfigureAwait(false);
            return rack;
        }
        catch
        {
            await rack.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Pings like <see cref="RunningTopology.PingAsync"/>, after flushing the sender's neighbour (ARP) table: an entry
    /// left FAILED by a ping the gate blocked a moment ago would otherwise answer "Destination Host Unreachable"
    /// locally, without a frame reaching the switch, until the kernel retries resolution.
    /// </summary>
    public async Task<PingResult> PingAsync(string from, string to, int count = 3, CancellationToken cancel = default)
    {
        await CommandRunner.RunAsync("ip", ["-n", Topology.Names.Namespace(Topology.Spec.Host(from).Name), "neigh", "flush", "dev", TopologyNames.HostInterface],
            null, cancel).ConfigureAwait(false);
        return await Topology.PingAsync(from, to, count, cancel).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            await Topology.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>One boot server of the rack: its host, link, switch, swtpm and agent state directory.</summary>
public sealed class BootServer
{
    private readonly Rack _rack;

    internal BootServer(Rack rack, HostSpec host, string directory)
    {
        _rack = rack;
        Host = host;
        Link = rack.Topology.Spec.LinkOf(host.Name);
        Switch = rack.Topology.Spec.Switch(Link.Switch);
        Directory = directory;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "tpm"));
    }

    public HostSpec Host { get; }

    public string Name => Host.Name;

    public LinkSpec Link { get; }

    public SwitchSpec Switch { get; }

    public MacAddress CleanMac => Host.CleanMac ?? Host.Mac;

    public MacAddress DirtyMac => Host.DirtyMac ?? throw new InvalidOperationException($"{Name} has no dirty MAC");

    /// <summary>This boot server's files: <c>tpm/</c> (swtpm state), <c>state/</c> (the agent's state directory).</summary>
    public string Directory { get; }

    public string StateDirectory => Path.Combine(Directory, "state");

    public string Namespace => _rack.Topology.Names.Namespace(Host.Name);

    public string TpmSpec => $"tcp:127.0.0.1:{_rack.Options.SwtpmPort.ToString(CultureInfo.InvariantCulture)}";

    public ManagedProcess? Swtpm { get; private set; }

    /// <summary>The options every agent command gets: this boot server's TPM, NIC and state directory.</summary>
    public IReadOnlyList<string> CommonArguments => ["--tpm", TpmSpec, "--interface", TopologyNames.HostInterface, "--state-dir", StateDirectory];

    internal void StartSwtpm()
    {
        var port = _rack.Options.SwtpmPort;
        Swtpm = _rack.Topology.StartInHost(Host.Name, SwtpmCommand.Socket(Path.Combine(Directory, "tpm"), port));
    }

    /// <summary>Runs one agent command to completion inside the namespace (common options appended); never throws for a non-zero exit.</summary>
    public async Task<AgentResult> RunAgentAsync(IEnumerable<string> args, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var argv = args.ToList();
        var command = _rack.Options.AgentCommand;
        var result = await CommandRunner.TryRunAsync("ip",
            new[] { "netns", "exec", Namespace }.Concat(command).Concat(argv).Concat(CommonArguments),
            timeout ?? _rack.Options.AgentTimeout, cancel).ConfigureAwait(false);
        return new AgentResult($"{Name}: switchgate-agent {string.Join(' ', argv)}", result.ExitCode,
            (result.StandardOutput + result.StandardError).TrimEnd());
    }

    /// <summary>Starts <c>switchgate-agent attest --stay</c> (the renewing service) inside the namespace; stopped by pid at teardown at the latest.</summary>
    public ManagedProcess StartAgentService(params string[] extraArgs) =>
        _rack.Topology.StartInHost(Host.Name, _rack.Options.AgentCommand.Concat(["attest", "--stay", .. extraArgs]).Concat(CommonArguments));

    /// <summary>The emulated measured launch; retried while swtpm is still starting (it listens a moment after its start).</summary>
    internal async Task MeasureAsync(CancellationToken cancel)
    {
        AgentResult? last = null;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            last = await RunAgentAsync(["measure"], cancel: cancel).ConfigureAwait(false);
            // Exit 6: TPM I/O error (connection refused while swtpm starts); anything else is final.
            if (last.ExitCode != 6) break;
            if (Swtpm is { HasExited: true } swtpm)
                throw new CommandFailedException(swtpm.CommandLine, swtpm.ExitCode ?? -1, string.Join('\n', swtpm.Lines), "swtpm exited");
            await Task.Delay(200, cancel).ConfigureAwait(false);
        }
        if (last is not { Succeeded: true })
            throw new CommandFailedException(last!.Command, last.ExitCode, last.Output, "the measured launch failed");
    }

    /// <summary>
    /// Enrols the node in clean mode (<c>switchgate-agent enrol</c> with its switch's datapath id, its port and MACs)
    /// and moves the record into <paramref name="enrolmentDirectory"/> as <c>NODE.json</c>. The move is a rename, so
    /// a controller polling that directory never reads a half-written record. Returns the record's path.
    /// </summary>
    public async Task<string> EnrolAsync(string enrolmentDirectory, CancellationToken cancel = default)
    {
        var scratch = Path.Combine(Directory, $"{Name}.json");
        var result = await RunAgentAsync(
        [
            "enrol", "--node", Name, "--datapath-id", $"0x{Switch.DatapathIdHex}", "--port", Link.Port.ToString(CultureInfo.InvariantCulture),
            "--clean-mac", CleanMac.ToString(), "--dirty-mac", DirtyMac.ToString(), "--out", scratch, "--replace",
        ], cancel: cancel).ConfigureAwait(false);
        if (!result.Succeeded)
            throw new CommandFailedException(result.Command, result.ExitCode, result.Output, "enrolment failed");
        var target = Path.Combine(enrolmentDirectory, $"{Name}.json");
        File.Move(scratch, target, overwrite: true);
        return target;
    }

    /// <summary>The MAC <c>eth0</c> has now (read with <c>ip link</c>).</summary>
    public async Task<MacAddress> CurrentMacAsync(CancellationToken cancel = default)
    {
        var result = await CommandRunner.RunAsync("ip", ["-n", Namespace, "-br", "link", "show", "dev", TopologyNames.HostInterface], null, cancel).ConfigureAwait(false);
        var parts = result.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 2 && MacAddress.TryParse(parts[2], out var mac)
            ? mac
            : throw new CommandFailedException(result.CommandLine, 0, result.StandardOutput, "no MAC in the output");
    }
}
