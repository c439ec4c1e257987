using System.CommandLine;
using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.Cli;

/// <summary>
/// `switchgate demo`: the main job as a readable report. On a topology with boot servers (the default,
/// topology/rack.yaml) it is the attestation gate's demo (<see cref="RackDemo"/>, docs/rack.md). On one without
/// (e.g. topology/default.yaml) it is the forwarding demo: it starts the
/// controller (this same CLI, as a child process), builds the topology, waits for every switch's
/// cold start, pings every host pair in both directions, shows the flows the controller installed,
/// and tears everything down. Exit code 0 only if every step passed.
/// </summary>
internal static partial class DemoCommand
{
    [GeneratedRegex(@"(\d+) packets transmitted, (\d+) received")]
    private static partial Regex PingCounts();

    [GeneratedRegex(@"rtt min/avg/max/mdev = [\d.]+/([\d.]+)/")]
    private static partial Regex PingAverage();

    public static Command Create()
    {
        var topology = new Option<string>("--topology") { Description = "Topology file", DefaultValueFactory = _ => "topology/rack.yaml" };
        var port = new Option<int>("--controller-port") { Description = "Controller port on 127.0.0.1 (0 = any free port)", DefaultValueFactory = _ => 0 };
        var lease = new Option<int>("--lease") { Description = "Rack demo: the gate's admission lease, seconds", DefaultValueFactory = _ => 10 };
        var command = new Command("demo", "Run the main job on the default topology") { topology, port, lease };
        command.SetAction((parse, framework) => TopologyCommands.Guard(async () =>
        {
            using var termination = new TopologyCommands.Termination(framework);
            var report = new Report();
            try
            {
                var file = FindFile(parse.GetValue(topology)!);
                if (TopologyLoader.LoadFile(file).Hosts.Any(h => h.Role == HostRole.BootServer))
                    await RackDemo.RunAsync(file, parse.GetValue(port), parse.GetValue(lease), report, termination.Token);
                else
                    await RunAsync(file, parse.GetValue(port), report, termination.Token);
            }
            catch (Exception e) when (e is CommandFailedException or TopologyTeardownException or TimeoutException or OperationCanceledException)
            {
                report.Fail(e is OperationCanceledException ? "interrupted" : e.Message);
            }
            Console.WriteLine();
            Console.WriteLine(report.Passed ? "RESULT: PASS" : "RESULT: FAIL");
            return report.Passed ? 0 : 1;
        }));
        return command;
    }

    private static async Task RunAsync(string file, int port, Report report, CancellationToken cancel)
    {
        var spec = TopologyLoader.LoadFile(file);
        Console.WriteLine($"SwitchGate demo: {file} ({spec.Switches.Count} switch(es), {spec.Hosts.Count} hosts)");

        await using var controller = await ControllerProcess.StartAsync(SelfCommand(), port, cancel: cancel);
        try
        {
            report.Pass($"controller started: pid {controller.Pid}, listening on 127.0.0.1:{controller.Port}");
            await using (var topology = await TopologyRunner.UpAsync(spec, new TopologyRunOptions { ControllerPort = controller.Port }, cancel))
            {
                report.Pass($"topology up (run {topology.Names.Prefix}): "
                    + string.Join(", ", spec.Switches.Select(s => $"switch {s.Name} = OVS bridge {topology.Names.Bridge(s.Name)} (netdev, fail_mode=secure, OpenFlow 1.3)"))
                    + "; " + string.Join(", ", spec.Hosts.Select(h => $"{h.Name} {h.Address} in netns {topology.Names.Namespace(h.Name)}")));

                foreach (var sw in spec.Switches)
                {
                    await controller.WaitForSwitchReadyAsync(sw.DatapathId, TimeSpan.FromSeconds(20), cancel: cancel);
                    report.Pass($"switch {sw.Name} (dpid 0x{sw.DatapathIdHex}) connected; controller reports its cold start done");
                }

                foreach (var from in spec.Hosts)
                foreach (var to in spec.Hosts.Where(h => h != from))
                {
                    var ping = await topology.PingAsync(from.Name, to.Name, 3, cancel);
                    var counts = PingCounts().Match(ping.Output);
                    var avg = PingAverage().Match(ping.Output);
                    var summary = counts.Success ? $"{counts.Groups[2].Value}/{counts.Groups[1].Value} replies" : "no summary";
                    if (avg.Success) summary += $", average rtt {avg.Groups[1].Value} ms";
                    report.Check(ping.Succeeded, $"ping {from.Name} -> {to.Name} ({to.Address}): {summary}");
                }

                foreach (var sw in spec.Switches)
                {
                    var flows = await topology.DumpFlowsAsync(sw.Name, cancel);
                    var hosts = spec.Links.Where(l => l.Switch == sw.Name).Select(l => spec.Host(l.Host)).ToList();
                    // The controller's forwarding tables (docs/controller.md): table 1 learns sources
                    // (in_port + eth_src), table 2 forwards by eth_dst. A learned host has one of each.
                    var unlearned = hosts.Where(h =>
                        !flows.Any(f => f.Table == 1 && f.Matches("dl_src", h.Mac.ToString()))
                        || !flows.Any(f => f.Table == 2 && f.Matches("dl_dst", h.Mac.ToString()))).ToList();
                    report.Check(unlearned.Count == 0, $"switch {sw.Name}: {flows.Count} flows, all installed by the controller (fail_mode=secure adds none)"
                        + (unlearned.Count == 0 ? "; every host learned (table 1: source, table 2: destination)" : $"; not learned: {string.Join(", ", unlearned.Select(h => h.Name))}"));
                    foreach (var flow in flows) Console.WriteLine($"         {flow.Text}");
                }
            }
            report.Pass("topology torn down (namespaces, veth pairs, bridge deleted by name)");
            await controller.Process.StopAsync();
            report.Check(controller.Process.ExitCode == 0, $"controller stopped with SIGTERM (pid {controller.Pid}, exit code {controller.Process.ExitCode})");
        }
        finally
        {
            if (!report.Passed)
            {
                Console.WriteLine("       controller output (last lines):");
                foreach (var line in controller.Process.Lines.TakeLast(15)) Console.WriteLine($"         {line}");
            }
        }
    }

    /// <summary>This CLI itself: the apphost, or `dotnet switchgate.dll` when run through dotnet.</summary>
    internal static IReadOnlyList<string> SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? ControllerProcess.DotnetCommand(typeof(DemoCommand).Assembly.Location)
            : [process];
    }

    /// <summary>A relative path is tried from the current directory, then from the repository the CLI was built in.</summary>
    private static string FindFile(string path)
    {
        if (Path.IsPathRooted(path) || File.Exists(path)) return path;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, path);
            if (File.Exists(candidate)) return candidate;
        }
        return path;
    }

    internal sealed class Report
    {
        public bool Passed { get; private set; } = true;

        public void Pass(string what) => Check(true, what);

        public void Fail(string what) => Check(false, what);

        public void Check(bool ok, string what)
        {
            Passed &= ok;
            Console.WriteLine($"  [{(ok ? " ok " : "FAIL")}] {what}");
        }
    }
}
