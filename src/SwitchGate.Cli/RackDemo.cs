using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Ethernet;
using SwitchGate.Topology;

namespace SwitchGate.Cli;

/// <summary>
/// The attestation gate's demo on a rack topology (docs/rack.md): the controller with the gate, the rack with a
/// swtpm and switchgate-agent in every boot server, then for the first boot server: enrol, blocked before
/// attestation, attest, admitted and pinging the production host, depart, blocked (dirty MAC dropped, counters
/// shown), emulated reboot, attest, admitted again. Every step is timed; everything is torn down by pid and name
/// on the way out, also on failure or Ctrl-C.
/// </summary>
internal static class RackDemo
{
    public static async Task RunAsync(string file, int port, int leaseSeconds, DemoCommand.Report report, CancellationToken cancel)
    {
        var spec = TopologyLoader.LoadFile(file);
        var bootServers = spec.Hosts.Where(h => h.Role == HostRole.BootServer).ToList();
        var node = bootServers[0];
        var target = spec.Hosts.FirstOrDefault(h => h.Role == HostRole.ProductionHost)
            ?? throw new TopologyFileException(file, 0, 0, "the rack demo needs a production-host");
        Console.WriteLine($"SwitchGate rack demo: {file} ({spec.Switches.Count} switch(es), {bootServers.Count} boot server(s), {spec.Hosts.Count} hosts); "
            + $"boot server {node.Name} and production host {target.Name}, lease {leaseSeconds} s");

        var work = Directory.CreateTempSubdirectory("switchgate-demo-").FullName;
        var enrolments = Path.Combine(work, "enrolments");
        var audit = Path.Combine(work, "audit.jsonl");
        Directory.CreateDirectory(enrolments);
        try
        {
            var clock = Stopwatch.StartNew();
            await using var controller = await ControllerProcess.StartAsync(DemoCommand.SelfCommand(), port,
                ["--enrolments", enrolments, "--audit-log", audit, "--lease", leaseSeconds.ToString(CultureInfo.InvariantCulture), "--enrolment-poll", "0.5",
                    "--topology", file],
                cancel: cancel);
            report.Pass($"controller with the attestation gate started: pid {controller.Pid}, 127.0.0.1:{controller.Port}, enrolments {enrolments}, audit log {audit} {Took(clock)}");
            try
            {
                await RunStepsAsync(spec, node, target, controller, enrolments, audit, report, cancel);
            }
            finally
            {
                if (!report.Passed)
                {
                    Console.WriteLine("       controller output (last lines):");
                    foreach (var line in controller.Process.Lines.TakeLast(20)) Console.WriteLine($"         {line}");
                }
                clock.Restart();
                await controller.Process.StopAsync();
                report.Check(controller.Process.ExitCode == 0, $"controller stopped with SIGTERM (pid {controller.Pid}, exit code {controller.Process.ExitCode}) {Took(clock)}");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static async Task RunStepsAsync(TopologySpec spec, HostSpec node, HostSpec target, ControllerProcess controller,
        string enrolments, string audit, DemoCommand.Report report, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var topology = await TopologyRunner.UpAsync(spec, new TopologyRunOptions { ControllerPort = controller.Port }, cancel);
        var rack = await Rack.StartAsync(topology, new RackOptions { AgentCommand = AgentCommand() }, cancel);
        await using (rack)
        {
            report.Pass($"rack up (run {topology.Names.Prefix}): OVS bridge {topology.Names.Bridge(spec.Switches[0].Name)}; "
                + string.Join(", ", rack.BootServers.Select(b => $"{b.Name} in netns {b.Namespace} with swtpm pid {b.Swtpm?.Pid} on its own loopback"))
                + $"; measured launch done in each {Took(clock)}");
            foreach (var sw in spec.Switches)
            {
                await controller.WaitForSwitchReadyAsync(sw.DatapathId, TimeSpan.FromSeconds(20), cancel: cancel);
                report.Pass($"switch {sw.Name} (dpid 0x{sw.DatapathIdHex}) connected; gate cold start done (table 0: per-port meters, port locks)");
            }

            var server = rack.BootServer(node.Name);
            var sw0 = server.Switch.Name;
            clock.Restart();
            foreach (var b in rack.BootServers)
                await b.EnrolAsync(enrolments, cancel);
            await WaitForAsync(async () => (await topology.DumpFlowsAsync(sw0, cancel)).Any(f => f.Table == 0 && f.Matches("dl_src", server.DirtyMac.ToString())),
                TimeSpan.FromSeconds(15), cancel);
            report.Pass($"enrolled {string.Join(", ", rack.BootServers.Select(b => b.Name))} in clean mode (switchgate-agent enrol: AK, sealed secret, golden PCRs); "
                + $"the gate loaded the records and installed their dirty-MAC drops {Took(clock)}");

            clock.Restart();
            var blocked = await rack.PingAsync(node.Name, target.Name, 2, cancel);
            report.Check(!blocked.Succeeded, $"before attestation: ping {node.Name} -> {target.Name} is blocked (clean MAC {server.CleanMac} not admitted) {Took(clock)}");

            await AttestAsync(rack, server, target, "attest", report, cancel);
            await ShowTable0Async(topology, sw0, server, cancel);

            clock.Restart();
            var depart = await server.RunAgentAsync(["depart"], cancel: cancel);
            var mac = await server.CurrentMacAsync(cancel);
            report.Check(depart.Succeeded && depart.Output.Contains("confirmed=true", StringComparison.Ordinal) && mac == server.DirtyMac,
                $"depart: DEPART, revocation confirmed by the switch, PCR 14 dirty mark, NIC now on the dirty MAC {mac} {Took(clock)}"
                + (depart.Succeeded ? "" : $"\n{Indent(depart.Output)}"));

            clock.Restart();
            var droppedBefore = await DroppedAsync(topology, sw0, server.DirtyMac, cancel);
            var dirtyPing = await rack.PingAsync(node.Name, target.Name, 2, cancel);
            var droppedAfter = await DroppedAsync(topology, sw0, server.DirtyMac, cancel);
            var admitted = (await topology.DumpFlowsAsync(sw0, cancel)).Count(f => f.Table == 0 && f.Priority == 800 && f.Matches("dl_src", server.CleanMac.ToString()));
            report.Check(!dirtyPing.Succeeded && droppedAfter > droppedBefore && admitted == 0,
                $"after depart: ping {node.Name} -> {target.Name} fails; the dirty-MAC drop flow counted {droppedAfter - droppedBefore} more packets; no admission flow left {Took(clock)}");
            await ShowTable0Async(topology, sw0, server, cancel);
            await ShowFloodStaysOutAsync(topology, spec, server, target, report, cancel);

            clock.Restart();
            var reboot = await server.RunAgentAsync(["reboot"], cancel: cancel);
            mac = await server.CurrentMacAsync(cancel);
            report.Check(reboot.Succeeded && mac == server.CleanMac,
                $"emulated reboot: TPM power cycle (PCRs reset, resetCount + 1), measured launch, clean MAC {mac} back {Took(clock)}"
                + (reboot.Succeeded ? "" : $"\n{Indent(reboot.Output)}"));

            await AttestAsync(rack, server, target, "attest again", report, cancel);

            await JobDemo.RunAsync(rack, server, target, report, cancel);

            Console.WriteLine("       audit log (verdicts):");
            foreach (var line in File.ReadLines(audit).Where(l => l.Contains("\"verdict\"", StringComparison.Ordinal)))
                Console.WriteLine($"         {line}");
        }
        report.Pass("rack torn down: agents and swtpm stopped by pid; namespaces, veth pairs and bridge deleted by name");
    }

    private static async Task AttestAsync(Rack rack, BootServer server, HostSpec target, string step, DemoCommand.Report report, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var attest = await server.RunAgentAsync(["attest", "--once", "--timeout", "20"], cancel: cancel);
        var line = attest.Output.Split('\n').FirstOrDefault(l => l.Contains("admitted session=", StringComparison.Ordinal));
        report.Check(attest.Succeeded, $"{step}: HELLO, CHALLENGE, EVIDENCE (quote + proof by the key derived from the unsealed secret), VERDICT: "
            + (line is null ? $"not admitted (exit {attest.ExitCode})\n{Indent(attest.Output)}" : line[line.IndexOf("admitted", StringComparison.Ordinal)..]) + $" {Took(clock)}");
        // Issue 11 item 4: the controller hands the next secret over with the admission (ROTATE, wrapped to the EK).
        var rotated = attest.Output.Split('\n').FirstOrDefault(l => l.Contains("rotated generation=", StringComparison.Ordinal));
        report.Check(rotated is not null, "secret rotated: ROTATE (new secret wrapped to the TPM's EK) activated, sealed to the clean PCRs, ROTATED: "
            + (rotated is null ? "no rotation" : rotated[rotated.IndexOf("rotated", StringComparison.Ordinal)..]));
        clock.Restart();
        var ping = await rack.PingAsync(server.Name, target.Name, 3, cancel);
        var summary = Regex.Match(ping.Output, @"(\d+) packets transmitted, (\d+) received");
        report.Check(ping.Succeeded, $"admitted: ping {server.Name} -> {target.Name} ({target.Address}): "
            + (summary.Success ? $"{summary.Groups[2].Value}/{summary.Groups[1].Value} replies" : "no summary") + $" {Took(clock)}");
    }

    /// <summary>
    /// The dirty boot server hears none of the rack's floods (docs/gate.md "Who hears floods"): the target broadcasts ARP
    /// for an unused address and pings the subnet's broadcast address; OVS's tx counter of the boot server's port must not
    /// move, while an ordinary host's port (if the topology has one) counts the flood.
    /// </summary>
    private static async Task ShowFloodStaysOutAsync(RunningTopology topology, TopologySpec spec, BootServer server, HostSpec target,
        DemoCommand.Report report, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var sw = server.Switch.Name;
        var listener = spec.Hosts.FirstOrDefault(h => h.Role == HostRole.Host && spec.LinkOf(h.Name).Switch == sw);
        uint mask = uint.MaxValue << (32 - target.PrefixLength);
        uint network = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(target.Address.GetAddressBytes()) & mask;
        var used = spec.Hosts.Select(h => h.Address).ToHashSet();
        static System.Net.IPAddress Address(uint value)
        {
            var bytes = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            return new System.Net.IPAddress(bytes);
        }
        var unused = Enumerable.Range(1, 250).Select(i => Address(network | ((uint)(255 - i) & ~mask))).First(a => !used.Contains(a));
        var broadcast = Address(network | ~mask);
        ulong nodeBefore = await topology.PortTxPacketsAsync(sw, server.Link.Port, cancel);
        ulong controlBefore = listener is null ? 0 : await topology.PortTxPacketsAsync(sw, spec.LinkOf(listener.Name).Port, cancel);
        await topology.ExecAsync(target.Name, ["ping", "-n", "-c", "2", "-i", "0.3", "-W", "1", unused.ToString()], TimeSpan.FromSeconds(10), cancel);
        await topology.ExecAsync(target.Name, ["ping", "-n", "-b", "-c", "2", "-i", "0.3", "-W", "1", broadcast.ToString()], TimeSpan.FromSeconds(10), cancel);
        await Task.Delay(300, cancel);
        ulong nodeAfter = await topology.PortTxPacketsAsync(sw, server.Link.Port, cancel);
        ulong controlAfter = listener is null ? 0 : await topology.PortTxPacketsAsync(sw, spec.LinkOf(listener.Name).Port, cancel);
        report.Check(nodeAfter == nodeBefore && (listener is null || controlAfter > controlBefore),
            $"flood while dirty: {target.Name} broadcasts ARP for {unused} and pings {broadcast}; OVS port {server.Link.Port} ({server.Name}) "
            + $"tx packets {nodeBefore} -> {nodeAfter}"
            + (listener is null ? "" : $", port {spec.LinkOf(listener.Name).Port} ({listener.Name}, ordinary) {controlBefore} -> {controlAfter}") + $" {Took(clock)}");
    }

    /// <summary>The gate's rows (tables 0 and 1) about this boot server's MACs and port, with OVS's packet counters.</summary>
    private static async Task ShowTable0Async(RunningTopology topology, string sw, BootServer server, CancellationToken cancel)
    {
        string clean = server.CleanMac.ToString(), dirty = server.DirtyMac.ToString();
        var port = server.Link.Port.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"       tables 0 and 1 for {server.Name} (port {port}, clean {clean}, dirty {dirty}):");
        foreach (var flow in (await topology.DumpFlowsAsync(sw, cancel)).Where(f => f.Table <= 1
                     && (f.Match.Contains(clean, StringComparison.Ordinal) || f.Match.Contains(dirty, StringComparison.Ordinal) || f.Matches("in_port", port))))
            Console.WriteLine($"         {flow.Text}");
    }

    private static async Task<ulong> DroppedAsync(RunningTopology topology, string sw, MacAddress mac, CancellationToken cancel) =>
        (await topology.DumpFlowsAsync(sw, cancel)).Where(f => f.Table == 0 && f.Matches("dl_src", mac.ToString()))
            .Aggregate(0UL, (sum, f) => sum + f.Packets);

    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the gate did not install the enrolled nodes' flows within {timeout.TotalSeconds:0} s");
            await Task.Delay(200, cancel);
        }
    }

    /// <summary>switchgate-agent from this CLI's output folder (the CLI project references it); SWITCHGATE_AGENT_DLL overrides.</summary>
    internal static IReadOnlyList<string> AgentCommand()
    {
        var dll = Environment.GetEnvironmentVariable("SWITCHGATE_AGENT_DLL") ?? Path.Combine(AppContext.BaseDirectory, "switchgate-agent.dll");
        return File.Exists(dll) ? ["dotnet", dll] : throw new CommandFailedException(dll, -1, "", "switchgate-agent is not built next to the CLI");
    }

    private static string Took(Stopwatch clock) => $"({clock.Elapsed.TotalSeconds:0.00} s)";

    private static string Indent(string text) => string.Join('\n', text.Split('\n').TakeLast(12).Select(l => "         " + l));
}
