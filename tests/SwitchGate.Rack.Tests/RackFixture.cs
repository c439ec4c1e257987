using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using SwitchGate.Ethernet;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// One whole test rack for one test (docs/rack.md): the controller with the attestation gate as a child process
/// (`switchgate controller run --enrolments DIR --audit-log FILE --lease L`), <c>topology/rack.yaml</c> on OVS with a
/// swtpm and switchgate-agent inside each boot server's namespace, and (by default) every boot server enrolled in
/// clean mode. <c>await using</c> it: disposing stops the agents, swtpm and controller by pid and tears the
/// topology down, also when the test failed.
/// </summary>
public sealed class RackFixture : IAsyncDisposable
{
    private readonly string _work;

    private RackFixture(string work, int leaseSeconds, string[] controllerArgs, ControllerProcess controller)
    {
        _work = work;
        LeaseSeconds = leaseSeconds;
        ControllerArgs = controllerArgs;
        Controller = controller;
    }

    public int LeaseSeconds { get; }

    /// <summary>The gate's arguments, for <see cref="RestartControllerAsync"/>.</summary>
    public IReadOnlyList<string> ControllerArgs { get; }

    public ControllerProcess Controller { get; private set; }

    public SwitchGate.Topology.Rack Rack { get; private set; } = null!;

    public RunningTopology Topology => Rack.Topology;

    public TopologySpec Spec => Topology.Spec;

    /// <summary>Everything the controller writes here: enrolments, audit log (docs/rack.md).</summary>
    public string WorkDirectory => _work;

    public string EnrolmentDirectory => Path.Combine(_work, "enrolments");

    public string AuditLogPath => Path.Combine(_work, "audit.jsonl");

    public const string Switch = "s1";

    public ulong DatapathId => Spec.Switch(Switch).DatapathId;

    /// <summary>
    /// Starts the controller (gate on, lease <paramref name="leaseSeconds"/>), builds the rack, runs each boot
    /// server's measured launch and, if <paramref name="enrol"/>, enrols every boot server and waits until the
    /// switch holds their flows.
    /// </summary>
    public static async Task<RackFixture> StartAsync(int leaseSeconds = 6, bool enrol = true, IEnumerable<string>? extraControllerArgs = null,
        string topologyFile = "topology/rack.yaml")
    {
        var work = Directory.CreateTempSubdirectory("sg-rack-test-").FullName;
        Directory.CreateDirectory(Path.Combine(work, "enrolments"));
        string[] args =
        [
            "--enrolments", Path.Combine(work, "enrolments"), "--audit-log", Path.Combine(work, "audit.jsonl"),
            "--lease", leaseSeconds.ToString(CultureInfo.InvariantCulture), "--enrolment-poll", "0.5",
            // The topology's port roles (boot-server ports closed until enrolled, production hosts locked). Setting
            // SWITCHGATE_RACK_PORT_ROLES=0 leaves them out, to run these tests against a controller that predates them.
            .. Environment.GetEnvironmentVariable("SWITCHGATE_RACK_PORT_ROLES") == "0" ? [] : new[] { "--topology", Path.Combine(Paths.Root, topologyFile) },
            .. extraControllerArgs ?? [],
        ];
        ControllerProcess controller;
        try
        {
            controller = await ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(Paths.CliDll), 0, args);
        }
        catch
        {
            Directory.Delete(work, recursive: true);
            throw;
        }
        var fixture = new RackFixture(work, leaseSeconds, args, controller);
        try
        {
            var spec = TopologyLoader.LoadFile(Path.Combine(Paths.Root, topologyFile));
            var topology = await TopologyRunner.UpAsync(spec, new TopologyRunOptions { ControllerPort = controller.Port });
            fixture.Rack = await SwitchGate.Topology.Rack.StartAsync(topology, new RackOptions { AgentCommand = ["dotnet", Paths.AgentDll] });
            await controller.WaitForSwitchReadyAsync(fixture.DatapathId, TimeSpan.FromSeconds(20));
            if (enrol)
                await fixture.EnrolAsync(fixture.Rack.BootServers.Select(b => b.Name).ToArray());
            return fixture;
        }
        catch
        {
            await fixture.DisposeAsync();
            throw;
        }
    }

    public BootServer BootServer(string name) => Rack.BootServer(name);

    /// <summary>Enrols the named boot servers (clean mode, records into the enrolment directory) and waits until the gate installed their dirty-MAC drops.</summary>
    public async Task EnrolAsync(params string[] nodes)
    {
        foreach (var node in nodes)
            await BootServer(node).EnrolAsync(EnrolmentDirectory);
        foreach (var node in nodes)
        {
            var dirty = BootServer(node).DirtyMac.ToString();
            await WaitForFlowsAsync(flows => flows.Any(f => f.Table == 0 && f.Matches("dl_src", dirty) && IsDrop(f)),
                TimeSpan.FromSeconds(15), $"the gate to install {node}'s dirty-MAC drop");
        }
    }

    // ---- the agent inside a boot server ----

    /// <summary><c>switchgate-agent attest --once</c>: exit 0 admitted, 2 denied, 3 revoked/lease over, 4 not clean, 5 no verdict (docs/agent.md).</summary>
    public Task<AgentResult> AttestOnceAsync(string node, int timeoutSeconds = 20) =>
        BootServer(node).RunAgentAsync(["attest", "--once", "--timeout", timeoutSeconds.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(timeoutSeconds + 30));

    /// <summary>Starts the renewing agent service (<c>attest --stay</c>) and waits for its first admission.</summary>
    public async Task<ManagedProcess> StartAgentServiceAsync(string node)
    {
        var service = BootServer(node).StartAgentService();
        await service.WaitForLineAsync(new Regex("admitted session="), TimeSpan.FromSeconds(30));
        return service;
    }

    public Task<AgentResult> DepartAsync(string node, params string[] extra) =>
        BootServer(node).RunAgentAsync(["depart", .. extra], TimeSpan.FromSeconds(LeaseSeconds + 40));

    public Task<AgentResult> RebootAsync(string node) => BootServer(node).RunAgentAsync(["reboot"]);

    public Task<AgentResult> StatusAsync(string node) => BootServer(node).RunAgentAsync(["status"]);

    // ---- traffic ----

    /// <summary>All echoes answered? The sender's ARP table is flushed first (<see cref="SwitchGate.Topology.Rack.PingAsync"/>).</summary>
    public Task<PingResult> PingAsync(string from, string to, int count = 2) => Rack.PingAsync(from, to, count);

    /// <summary>Changes a host's NIC MAC (an attacker spoofing an address).</summary>
    public Task SetMacAsync(string host, string mac)
    {
        _ = MacAddress.TryParse(mac, out var parsed) ? parsed : throw new ArgumentException($"bad MAC {mac}", nameof(mac));
        return Topology.SetMacAsync(host, parsed);
    }

    /// <summary>Writes raw Ethernet frames from a host's <c>eth0</c> (any source MAC, any EtherType).</summary>
    public void SendFrames(string host, params byte[][] frames) => RawFrames.Send(Topology.Names.Namespace(host), frames);

    // ---- the switch ----

    public Task<IReadOnlyList<OvsFlow>> FlowsAsync() => Topology.DumpFlowsAsync(Switch);

    /// <summary>Packets the switch has sent out of <paramref name="host"/>'s port (OVS's port counter).</summary>
    public Task<ulong> TxPacketsToAsync(string host) => Topology.PortTxPacketsAsync(Switch, Spec.LinkOf(host).Port);

    /// <summary>Packets counted so far by table-0 flows of <paramref name="priority"/> (optionally only those whose match mentions <paramref name="text"/>).</summary>
    public async Task<ulong> Table0PacketsAsync(int priority, string? text = null) =>
        (await FlowsAsync()).Where(f => f.Table == 0 && f.Priority == priority && (text is null || f.Match.Contains(text, StringComparison.Ordinal)))
            .Aggregate(0UL, (sum, f) => sum + f.Packets);

    public static bool IsDrop(OvsFlow flow) => flow.Actions is "drop" or "";

    /// <summary>The gate's admission flows for a clean MAC (priority 800: source in table 0, destination in table 1): present only while admitted.</summary>
    public async Task<IReadOnlyList<OvsFlow>> AdmissionFlowsAsync(string node)
    {
        var clean = BootServer(node).CleanMac.ToString();
        return (await FlowsAsync()).Where(f => f.Table <= 1 && f.Priority == 800 && (f.Matches("dl_src", clean) || f.Matches("dl_dst", clean))).ToList();
    }

    /// <summary>
    /// Packets counted so far by the gate's drop flows (tables 0 and 1) that match <paramref name="field"/>=<paramref name="mac"/>;
    /// for dl_src also the ARP drops of that MAC (arp_sha) and of the address of the host it belongs to (arp_spa): a host
    /// whose neighbours are unresolved sends nothing but ARP, and OVS counts it on either of the two equal-priority drops.
    /// </summary>
    public async Task<ulong> DroppedAsync(string field, string mac)
    {
        var owner = Spec.Hosts.FirstOrDefault(h => new[] { h.Mac, h.CleanMac, h.DirtyMac }.Any(m => m?.ToString() == mac));
        bool Counts(OvsFlow f) => f.Matches(field, mac)
            || field == "dl_src" && (f.Matches("arp_sha", mac) || owner is not null && f.Matches("arp_spa", owner.Address.ToString()));
        return (await FlowsAsync()).Where(f => f.Table <= 1 && Counts(f) && IsDrop(f)).Aggregate(0UL, (sum, f) => sum + f.Packets);
    }

    public async Task<IReadOnlyList<OvsFlow>> WaitForFlowsAsync(Func<IReadOnlyList<OvsFlow>, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var flows = await FlowsAsync();
            if (condition(flows)) return flows;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {timeout.TotalSeconds:0.#} s for {what}; flows:\n{string.Join('\n', flows.Select(f => f.Text))}\n{ControllerOutput()}");
            await Task.Delay(200);
        }
    }

    // ---- the controller ----

    /// <summary>The gate's audit log, one JSON object per line (docs/gate.md).</summary>
    public IReadOnlyList<JsonElement> AuditEntries()
    {
        if (!File.Exists(AuditLogPath)) return [];
        using var stream = new FileStream(AuditLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    /// <summary>Audited verdicts for <paramref name="node"/> as "verdict/reason" strings, e.g. "admitted/Admitted", "denied/NonceUnknown", "revoked/Departed".</summary>
    public IReadOnlyList<string> Verdicts(string node) =>
        AuditEntries().Where(e => e.TryGetProperty("verdict", out _) && e.TryGetProperty("node", out var n) && n.GetString() == node)
            .Select(e => $"{e.GetProperty("verdict").GetString()}/{(e.TryGetProperty("reason", out var r) ? r.GetString() : "")}").ToList();

    public string ControllerOutput() => "--- controller:\n" + string.Join('\n', Controller.Process.Lines.TakeLast(40));

    /// <summary>SIGKILL: the controller dies without a word; the switch keeps its flows until their timeouts.</summary>
    public Task KillControllerAsync() => Controller.KillAsync();

    /// <summary>Starts a new controller on the same port with the same gate settings and waits for the switch's cold start.</summary>
    public async Task RestartControllerAsync()
    {
        await Controller.DisposeAsync();
        Controller = await ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(Paths.CliDll), Controller.Port, ControllerArgs);
        await Controller.WaitForSwitchReadyAsync(DatapathId, TimeSpan.FromSeconds(20));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Rack is not null) await Rack.DisposeAsync();
        }
        finally
        {
            await Controller.DisposeAsync();
            try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
        }
    }
}

/// <summary>The repository, the CLI built in the same configuration (SWITCHGATE_CLI_DLL overrides) and the agent next to the tests.</summary>
internal static class Paths
{
    public static string Root { get; } = FindRoot();

    private static string Configuration =>
        typeof(Paths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string CliDll =>
        Environment.GetEnvironmentVariable("SWITCHGATE_CLI_DLL") ?? Path.Combine(Root, "src", "SwitchGate.Cli", "bin", Configuration, "net10.0", "switchgate.dll");

    public static string AgentDll => Path.Combine(AppContext.BaseDirectory, "switchgate-agent.dll");

    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "switchgate-host.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SwitchGate.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no SwitchGate.sln above {AppContext.BaseDirectory}");
    }
}
