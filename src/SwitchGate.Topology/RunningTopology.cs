using System.Text.Json;
using SwitchGate.Ethernet;

namespace SwitchGate.Topology;

/// <summary>
/// A built topology. Disposing it stops the processes it started (by pid) and deletes exactly the
/// namespaces, interfaces and bridges it created (by name), whatever state they are in.
/// </summary>
public sealed class RunningTopology : IAsyncDisposable
{
    private readonly TopologyRunOptions _options;
    private readonly List<CreatedResource> _created = [];
    private readonly List<ManagedProcess> _processes = [];
    private bool _disposed;

    internal RunningTopology(TopologySpec spec, TopologyNames names, TopologyRunOptions options)
    {
        Spec = spec;
        Names = names;
        _options = options;
    }

    public TopologySpec Spec { get; }

    public TopologyNames Names { get; }

    /// <summary>What this run created so far, in creation order.</summary>
    public IReadOnlyList<CreatedResource> Created => _created.ToArray();

    public int ControllerPort(SwitchSpec sw) => _options.ControllerPort ?? sw.ControllerPort;

    public string ControllerTarget(SwitchSpec sw) => $"tcp:{sw.ControllerAddress}:{ControllerPort(sw)}";

    internal async Task BuildAsync(CancellationToken cancel)
    {
        foreach (var host in Spec.Hosts)
        {
            var ns = Names.Namespace(host.Name);
            await Run(cancel, "ip", "netns", "add", ns).ConfigureAwait(false);
            Record(ResourceKind.Namespace, ns);
            // No IPv6 in hosts: no router solicitations or DAD probes, so the only traffic the
            // controller sees is what a test sends. Set before eth0 exists so "default" applies to it.
            await Run(cancel, "ip", "netns", "exec", ns, "sysctl", "-q", "-w",
                "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1").ConfigureAwait(false);
            await Run(cancel, "ip", "-n", ns, "link", "set", "lo", "up").ConfigureAwait(false);
        }

        foreach (var link in Spec.Links)
        {
            var host = Spec.Host(link.Host);
            var ns = Names.Namespace(host.Name);
            var port = Names.SwitchPort(host.Name);
            const string eth = TopologyNames.HostInterface;
            await Run(cancel, "ip", "link", "add", port, "type", "veth", "peer", "name", eth, "netns", ns).ConfigureAwait(false);
            Record(ResourceKind.Interface, port);
            await Run(cancel, "sysctl", "-q", "-w", $"net.ipv6.conf.{port}.disable_ipv6=1").ConfigureAwait(false);
            await Run(cancel, "ip", "-n", ns, "link", "set", eth, "address", host.Mac.ToString()).ConfigureAwait(false);
            await Run(cancel, "ip", "-n", ns, "addr", "add", host.Cidr, "dev", eth).ConfigureAwait(false);
            // The kernel leaves TCP/UDP checksums of locally sent packets to the "hardware" (veth
            // offload); OVS's userspace datapath reads them off the veth unfinished and forwards
            // them so, and the receiver drops them. Ping works either way, TCP does not.
            await Run(cancel, "ip", "netns", "exec", ns, "ethtool", "--offload", eth, "tx", "off").ConfigureAwait(false);
            await Run(cancel, "ip", "-n", ns, "link", "set", eth, "up").ConfigureAwait(false);
            await Run(cancel, "ip", "link", "set", port, "up").ConfigureAwait(false);
        }

        foreach (var sw in Spec.Switches)
            await CreateBridgeAsync(sw, cancel).ConfigureAwait(false);
    }

    private async Task CreateBridgeAsync(SwitchSpec sw, CancellationToken cancel)
    {
        var bridge = Names.Bridge(sw.Name);
        var links = Spec.Links.Where(l => l.Switch == sw.Name).ToList();
        // One OVSDB transaction: the bridge never exists without fail_mode=secure, so it never
        // forwards on its own (with fail_mode=standalone OVS would act as a learning switch).
        var args = new List<string>
        {
            "--timeout=20",
            "--", "add-br", bridge,
            "--", "set", "Bridge", bridge, "datapath_type=netdev", "fail_mode=secure", "protocols=OpenFlow13",
            $"other-config:datapath-id={sw.DatapathIdHex}", "other-config:disable-in-band=true", "controller=@c",
            "--", "--id=@c", "create", "Controller", $"target=\"{ControllerTarget(sw)}\"", "connection_mode=out-of-band",
            $"max_backoff={(int)_options.ControllerMaxBackoff.TotalMilliseconds}",
        };
        foreach (var link in links)
        {
            var port = Names.SwitchPort(link.Host);
            args.AddRange(["--", "add-port", bridge, port, "--", "set", "Interface", port, $"ofport_request={TopologyRunner.Invariant(link.Port)}"]);
        }
        // A bridge of that name that we did not create must never be touched, not even deleted.
        if ((await CommandRunner.TryRunAsync("ovs-vsctl", "br-exists", bridge).ConfigureAwait(false)).Succeeded)
            throw new CommandFailedException($"ovs-vsctl br-exists {bridge}", 0, "", "found an existing bridge; refusing to reuse it");
        // Recorded before the command: if ovs-vsctl times out the transaction may still commit,
        // and del-br --if-exists is harmless if it did not.
        Record(ResourceKind.Bridge, bridge);
        await Run(cancel, "ovs-vsctl", args.ToArray()).ConfigureAwait(false);

        foreach (var link in links)
        {
            var port = Names.SwitchPort(link.Host);
            var ofport = (await Run(cancel, "ovs-vsctl", "get", "Interface", port, "ofport").ConfigureAwait(false)).StandardOutput.Trim();
            if (ofport != TopologyRunner.Invariant(link.Port))
            {
                var error = (await CommandRunner.TryRunAsync("ovs-vsctl", "get", "Interface", port, "error").ConfigureAwait(false)).StandardOutput.Trim();
                throw new CommandFailedException($"ovs-vsctl get Interface {port} ofport", 0, error,
                    $"gave {ofport}, but the topology wants OpenFlow port {link.Port}");
            }
        }
    }

    /// <summary>Runs a command inside a host's namespace (<c>ip netns exec</c>); never throws for a non-zero exit.</summary>
    public Task<CommandResult> ExecAsync(string host, IEnumerable<string> command, TimeSpan? timeout = null, CancellationToken cancel = default) =>
        CommandRunner.TryRunAsync("ip", new[] { "netns", "exec", Names.Namespace(Spec.Host(host).Name) }.Concat(command), timeout, cancel);

    /// <summary>
    /// Starts a long-running program inside a host; it is stopped (by pid) at teardown at the
    /// latest. <c>ip netns exec</c> execs the program, so the pid is the program's own.
    /// </summary>
    public ManagedProcess StartInHost(string host, IEnumerable<string> command)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var process = ManagedProcess.Start("ip", new[] { "netns", "exec", Names.Namespace(Spec.Host(host).Name) }.Concat(command));
        lock (_processes) _processes.Add(process);
        return process;
    }

    /// <summary>Changes the MAC of a host's <c>eth0</c> (a boot server switching between its clean and dirty MAC).</summary>
    public async Task SetMacAsync(string host, MacAddress mac, CancellationToken cancel = default) =>
        await Run(cancel, "ip", "-n", Names.Namespace(Spec.Host(host).Name), "link", "set", TopologyNames.HostInterface, "address", mac.ToString()).ConfigureAwait(false);

    /// <summary>Pings <paramref name="to"/>'s address from <paramref name="from"/>; true if every echo was answered.</summary>
    public async Task<PingResult> PingAsync(string from, string to, int count = 3, CancellationToken cancel = default)
    {
        var target = Spec.Host(to).Address.ToString();
        var result = await ExecAsync(from, ["ping", "-n", "-c", TopologyRunner.Invariant(count), "-i", "0.2", "-W", "1", target],
            TimeSpan.FromSeconds(count + 10), cancel).ConfigureAwait(false);
        return new PingResult(from, to, result.Succeeded, result.StandardOutput + result.StandardError);
    }

    /// <summary>The flow tables of a switch, read with <c>ovs-ofctl -O OpenFlow13 dump-flows</c> (OVS's own view, not the controller's).</summary>
    public async Task<IReadOnlyList<OvsFlow>> DumpFlowsAsync(string @switch, CancellationToken cancel = default)
    {
        var result = await Run(cancel, "ovs-ofctl", "-O", "OpenFlow13", "dump-flows", Names.Bridge(Spec.Switch(@switch).Name)).ConfigureAwait(false);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith("OFPST_FLOW", StringComparison.Ordinal))
            .Select(OvsFlow.Parse)
            .ToArray();
    }

    /// <summary>
    /// Packets the switch has sent out of one OpenFlow port (<c>ovs-ofctl -O OpenFlow13 dump-ports</c>, "tx pkts"): what
    /// reached the host behind it, counted by OVS.
    /// </summary>
    public async Task<ulong> PortTxPacketsAsync(string @switch, int port, CancellationToken cancel = default)
    {
        var result = await Run(cancel, "ovs-ofctl", "-O", "OpenFlow13", "dump-ports", Names.Bridge(Spec.Switch(@switch).Name),
            TopologyRunner.Invariant(port)).ConfigureAwait(false);
        var tx = System.Text.RegularExpressions.Regex.Match(result.StandardOutput, @"tx pkts=(\d+)");
        return tx.Success ? ulong.Parse(tx.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
            : throw new CommandFailedException($"ovs-ofctl dump-ports {port}", 0, result.StandardOutput, "no 'tx pkts=' in the output");
    }

    /// <summary>Whether OVS reports the switch's controller connection as up.</summary>
    public async Task<bool> IsControllerConnectedAsync(string @switch, CancellationToken cancel = default)
    {
        var bridge = Names.Bridge(Spec.Switch(@switch).Name);
        var controller = (await Run(cancel, "ovs-vsctl", "get", "Bridge", bridge, "controller").ConfigureAwait(false)).StandardOutput.Trim().Trim('[', ']');
        var connected = await Run(cancel, "ovs-vsctl", "get", "Controller", controller, "is_connected").ConfigureAwait(false);
        return connected.StandardOutput.Trim() == "true";
    }

    /// <summary>Polls <see cref="IsControllerConnectedAsync"/> until it equals <paramref name="connected"/>.</summary>
    public async Task WaitForControllerConnectionAsync(string @switch, bool connected, TimeSpan timeout, CancellationToken cancel = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (await IsControllerConnectedAsync(@switch, cancel).ConfigureAwait(false) != connected)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"switch {@switch}: controller connection still {(connected ? "down" : "up")} after {timeout.TotalSeconds:0.#} s");
            await Task.Delay(100, cancel).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        ManagedProcess[] processes;
        lock (_processes) processes = [.. _processes];
        foreach (var process in processes)
            await process.DisposeAsync().ConfigureAwait(false);
        await TopologyRunner.TearDownAsync(Created, _options.Log).ConfigureAwait(false);
        if (_options.StateFile is { } state) File.Delete(state);
    }

    private void Record(ResourceKind kind, string name)
    {
        _options.Log?.Invoke($"created {kind.ToString().ToLowerInvariant()} {name}");
        _created.Add(new CreatedResource(kind, name));
        if (_options.StateFile is { } state)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(state))!);
            File.WriteAllText(state, JsonSerializer.Serialize(_created));
        }
    }

    private static Task<CommandResult> Run(CancellationToken cancel, string file, params string[] args) =>
        CommandRunner.RunAsync(file, args, null, cancel);
}

/// <summary>The answer to a ping: whether all echoes came back, and ping's own output.</summary>
public sealed record PingResult(string From, string To, bool Succeeded, string Output);
