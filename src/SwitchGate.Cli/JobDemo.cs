using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Hypervisor;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Storage;
using SwitchGate.Topology;

namespace SwitchGate.Cli;

/// <summary>
/// The rack demo's boot job (docs/jobs.md): <c>switchgate-agent serve</c> in the boot server, <c>switchgate-host
/// submit</c> of the test guest from the production host, and a report per phase — when it started, the node's mode
/// and MAC, and what the switch allowed — ending with the production host's serial output of the resumed guest.
/// </summary>
internal static partial class JobDemo
{
    public const int ApiPort = 8470;

    [GeneratedRegex(@"runs-on job=\S+ counter_at_pause=(\d+) counter_now=(\d+)")]
    private static partial Regex RunsOn();

    public static async Task RunAsync(Rack rack, BootServer server, HostSpec target, DemoCommand.Report report, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        var guest = await TestGuest.LocateAsync(cancel);
        var accelerator = AcceleratorProbe.Describe();
        var topology = rack.Topology;
        var api = $"{server.Host.Address}:{ApiPort}";
        var agent = topology.StartInHost(server.Name, [.. RackDemo.AgentCommand(), "serve", "--listen", api, .. server.CommonArguments]);
        await agent.WaitForLineAsync(new Regex("jobs-start mode=clean"), TimeSpan.FromSeconds(60), cancel: cancel);
        report.Pass($"boot job service on {server.Name}: switchgate-agent serve (pid {agent.Pid}), job API http://{api}/jobs; "
            + $"test guest {guest.KernelPath} + {Path.GetFileName(guest.InitrdPath)}; QEMU accelerator {accelerator.Accelerator.ToString().ToLowerInvariant()} ({Clip(accelerator.Reason, 90)}) {Took(clock)}");

        var work = Directory.CreateTempSubdirectory("switchgate-demo-host-").FullName;
        try
        {
            var host = topology.StartInHost(target.Name,
            [
                "dotnet", HostDll(), "--server", $"http://{api}/", "--bind", target.Address.ToString(), "--timeout", "600", "submit",
                "--kernel", guest.KernelPath, "--initrd", guest.InitrdPath, "--cmdline", guest.KernelCommandLine,
                "--memory", TestGuest.DefaultMemoryMiB.ToString(CultureInfo.InvariantCulture), "--marker", TestGuest.BootMarker, "--deadline", "120",
                "--work", work, "--show-serial", "10",
            ]);
            var id = (await host.WaitForLineAsync(new Regex(@"created job=(j[0-9a-z-]+)"), TimeSpan.FromSeconds(60), cancel: cancel)).Groups[1].Value;
            report.Pass($"{target.Name} submits job {id} to {server.Name}: switchgate-host submit (upload kernel + initrd with SHA-256, job file with "
                + $"memory {TestGuest.DefaultMemoryMiB} MiB, marker {TestGuest.BootMarker}, deadline 120 s)");
            await WatchAsync(rack, server, target, id, host, report, cancel);
            await host.WaitForExitAsync(TimeSpan.FromMinutes(5), cancel);
            await host.StopAsync("KILL"); // after the exit: only waits until all its output is read
            var output = host.Lines;
            foreach (var line in output.Where(l => Regex.IsMatch(l, @" (received|delivered|resumed|runs-on|failed|refused|not-running|transfer-failed) ")))
                Console.WriteLine($"         {target.Name}: {line}");
            var runsOn = output.Select(l => RunsOn().Match(l)).FirstOrDefault(m => m.Success);
            report.Check(host.ExitCode == 0 && runsOn is not null && int.Parse(runsOn.Groups[2].Value, CultureInfo.InvariantCulture) > int.Parse(runsOn.Groups[1].Value, CultureInfo.InvariantCulture),
                runsOn is null
                    ? $"{target.Name} did not get a running guest (switchgate-host exit {host.ExitCode})\n" + string.Join('\n', output.TakeLast(15).Select(l => "         " + l))
                    : $"{target.Name} received the second image (digests checked), resumed it with the production device set (-nodefaults, no boot-only devices) "
                      + $"and the guest counts on: paused at counter={runsOn.Groups[1].Value} on {server.Name}, now counter={runsOn.Groups[2].Value} on {target.Name}");
            Console.WriteLine($"       {target.Name}'s serial console of the resumed guest (last lines):");
            foreach (var line in output.Where(l => l.Contains(" serial ", StringComparison.Ordinal)))
                Console.WriteLine($"         {line[(line.IndexOf(" serial ", StringComparison.Ordinal) + 8)..]}");
            PhaseTable(new JobStore(Path.Combine(server.StateDirectory, "jobs")).Load(id));
        }
        finally
        {
            await agent.StopAsync();
            Directory.Delete(work, recursive: true);
        }
        report.Check(agent.ExitCode == 0, $"boot job service stopped with SIGTERM (pid {agent.Pid}, exit code {agent.ExitCode})"
            + (agent.ExitCode == 0 ? "" : "\n" + string.Join('\n', agent.Lines.TakeLast(15).Select(l => "         " + l))));
    }

    /// <summary>One report line per job phase as the boot server's record shows it, with the node's MAC and the switch's view when it was seen.</summary>
    private static async Task WatchAsync(Rack rack, BootServer server, HostSpec target, string id, ManagedProcess host, DemoCommand.Report report, CancellationToken cancel)
    {
        var store = new JobStore(Path.Combine(server.StateDirectory, "jobs"));
        var shown = 0;
        var blockedShown = false;
        var lastLook = false;
        DateTimeOffset? start = null;
        while (true)
        {
            JobRecord? record = null;
            try
            {
                record = store.Load(id);
            }
            catch (Exception e) when (e is SwitchGate.Jobs.Codec.JobFormatException or IOException)
            {
            }
            if (record is not null)
            {
                start ??= record.Created;
                var fresh = record.Phases.Skip(shown).ToList();
                if (fresh.Count > 0)
                {
                    var mac = await server.CurrentMacAsync(cancel);
                    var mode = mac == server.DirtyMac ? "dirty" : "clean";
                    var admitted = (await rack.Topology.DumpFlowsAsync(server.Switch.Name, cancel))
                        .Count(f => f.Table == 0 && f.Priority == 800 && f.Matches("dl_src", server.CleanMac.ToString()));
                    var dropped = (await rack.Topology.DumpFlowsAsync(server.Switch.Name, cancel))
                        .Where(f => f.Table == 0 && f.Matches("dl_src", server.DirtyMac.ToString())).Aggregate(0UL, (sum, f) => sum + f.Packets);
                    foreach (var phase in fresh)
                        Console.WriteLine($"       job {id} {phase.State,-10} at +{(phase.At - start.Value).TotalSeconds,6:0.00} s");
                    var allowed = admitted > 0
                        ? $"switch forwards {server.Name} (clean MAC admitted)"
                        : $"switch drops {server.Name} both ways (no admission; dirty-MAC drop flow counted {dropped} packets)";
                    report.Pass($"job {id} now {record.State}: mode {mode}, NIC MAC {mac}; {allowed}"
                        + (record.Failure is { } f ? $"; failure \"{f}\"" : ""));
                    shown = record.Phases.Count;
                }
                if (record.State == JobState.Booting && !blockedShown)
                {
                    blockedShown = true;
                    var ping = await rack.PingAsync(target.Name, server.Name, 1, cancel);
                    var after = store.Load(id).State;
                    report.Check(!ping.Succeeded || after > JobState.Rebooting,
                        $"while {server.Name} is dirty: ping {target.Name} -> {server.Name} " + (ping.Succeeded ? "answered (the job had already left the dirty phase)" : "gets no answer: the switch drops it"));
                }
                if (record.IsTerminal)
                    return;
            }
            // The host gave up before the job ended (e.g. it refused the image): one more look, then stop watching.
            if (host.HasExited && lastLook)
                return;
            lastLook = host.HasExited;
            await Task.Delay(100, cancel);
        }
    }

    private static void PhaseTable(JobRecord record)
    {
        Console.WriteLine($"       job {record.Id} phases (boot server's record):");
        for (var i = 0; i < record.Phases.Count; i++)
        {
            var phase = record.Phases[i];
            var next = i + 1 < record.Phases.Count ? record.Phases[i + 1].At : (DateTimeOffset?)null;
            Console.WriteLine($"         {phase.State,-10} {phase.At:HH:mm:ss.fff}" + (next is { } n ? $"  {(n - phase.At).TotalSeconds,7:0.000} s" : ""));
        }
        Console.WriteLine($"         total {(record.Phases[^1].At - record.Phases[0].At).TotalSeconds:0.000} s from creation to {record.State}");
    }

    /// <summary>switchgate-host from this CLI's output folder (the CLI project references it); SWITCHGATE_HOST_DLL overrides.</summary>
    private static string HostDll()
    {
        var dll = Environment.GetEnvironmentVariable("SWITCHGATE_HOST_DLL") ?? Path.Combine(AppContext.BaseDirectory, "switchgate-host.dll");
        return File.Exists(dll) ? dll : throw new CommandFailedException(dll, -1, "", "switchgate-host is not built next to the CLI");
    }

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    private static string Took(Stopwatch clock) => $"({clock.Elapsed.TotalSeconds:0.00} s)";
}
