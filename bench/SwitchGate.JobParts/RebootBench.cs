using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.JobParts;

/// <summary>
/// `sg-jobparts reboot`: the emulated reboot of a boot job's hand-back, broken down, on the rack (topology/rack.yaml,
/// the gate, bs1 enrolled, swtpm in its namespace). Per cycle: <c>switchgate-agent depart</c> (untimed: it only makes
/// the node dirty), <c>reboot</c> — the same <c>AgentCommands.RebootAsync</c> the job service runs — whose
/// <c>rebooted</c> line times the TPM power cycle (Shutdown, swtpm INIT, Startup), the measured launch and the MAC
/// change, then <c>attest --once</c>, whose <c>exchange … kind=admit</c> line times HELLO(0) → admitting VERDICT and
/// the TPM's share. The rack stops every process by pid and deletes its namespaces and bridge at the end.
/// </summary>
internal static partial class RebootBench
{
    [GeneratedRegex(@"rebooted mac=\S+ power_cycle_ms=([0-9.]+) launch_ms=([0-9.]+) mac_ms=([0-9.]+)")]
    private static partial Regex RebootedLine();

    [GeneratedRegex(@"exchange session=\S+ kind=admit total_ms=([0-9.]+) tpm_ms=([0-9.]+)")]
    private static partial Regex AdmitLine();

    private static readonly string[] Columns = ["power-cycle", "launch", "mac", "reboot", "attest", "attest-tpm"];

    public static async Task<int> RunAsync(string cliDll, int runs, string topologyFile, CancellationToken ct)
    {
        var agentDll = Path.Combine(Path.GetDirectoryName(cliDll)!, "switchgate-agent.dll");
        await using var bench = await BenchRack.StartAsync(cliDll, agentDll, topologyFile, ct);
        var (work, spec, topology, bs1) = (bench.Work, bench.Spec, bench.Topology, bench.Bs1);
        {
            await AttestAsync(bs1, ct); // the gate may take up to 0.5 s to load the record: not measured

            Console.WriteLine($"== emulated reboot of the hand-back: bs1 on {topologyFile} through OVS with the gate, {runs} cycles, "
                + $"{DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, load average {Stat.LoadAverage()}");
            Console.WriteLine("run " + string.Concat(Columns.Select(c => c.PadLeft(12))) + "  load1   (milliseconds)");
            var rows = new List<double[]>();
            for (var run = 1; run <= runs; run++)
            {
                var depart = await bs1.RunAgentAsync(["depart"], cancel: ct);
                if (!depart.Succeeded || await bs1.CurrentMacAsync(ct) != bs1.DirtyMac)
                    throw new InvalidOperationException($"depart failed:\n{depart}");
                var reboot = await bs1.RunAgentAsync(["reboot"], cancel: ct);
                var r = RebootedLine().Match(reboot.Output);
                if (!reboot.Succeeded || !r.Success)
                    throw new InvalidOperationException($"reboot failed or gave no timed line:\n{reboot}");
                var (attest, tpm) = await AttestAsync(bs1, ct);
                var row = new[] { D(r.Groups[1]), D(r.Groups[2]), D(r.Groups[3]), D(r.Groups[1]) + D(r.Groups[2]) + D(r.Groups[3]), attest, tpm };
                rows.Add(row);
                Console.WriteLine($"{run,3} " + string.Concat(row.Select(v => v.ToString("F1", CultureInfo.InvariantCulture).PadLeft(12)))
                    + $"  {Stat.LoadAverage().Split(' ')[0]}");
            }
            for (var i = 0; i < Columns.Length; i++)
                Console.WriteLine($"{Columns[i],-11} ms: {Stat.Summary(rows.Select(row => row[i]).ToList(), "F1")}");
            var medians = Columns.Select((name, i) => name.Replace("-", "_", StringComparison.Ordinal) + "_ms_median="
                + Stat.Median(rows.Select(row => row[i]).ToList()).ToString("F1", CultureInfo.InvariantCulture));
            Console.WriteLine($"RESULT runs={runs} " + string.Join(' ', medians));
            Console.WriteLine($"end: load average {Stat.LoadAverage()}");
            return 0;
        }
    }

    [GeneratedRegex(@"step=(RebootStep|AttestStep) took_ms=(\d+) outcome=ok")]
    private static partial Regex StepLine();

    /// <summary>
    /// `sg-jobparts jobreboot`: the same breakdown inside real boot jobs, warm: <c>switchgate-agent serve</c> in bs1 and
    /// RUNS jobs of the test guest submitted by <c>switchgate-host</c> from prod (no resume); from the agent's log, per job,
    /// its <c>rebooted</c> line and the <c>took_ms</c> of the Rebooting and Attesting steps.
    /// </summary>
    public static async Task<int> RunJobsAsync(string cliDll, int runs, string topologyFile, CancellationToken ct)
    {
        var agentDll = Path.Combine(Path.GetDirectoryName(cliDll)!, "switchgate-agent.dll");
        var hostDll = Path.Combine(Path.GetDirectoryName(cliDll)!, "switchgate-host.dll");
        var guest = await SwitchGate.Hypervisor.TestGuest.LocateAsync(ct);
        await using var bench = await BenchRack.StartAsync(cliDll, agentDll, topologyFile, ct);
        var (work, spec, topology, bs1) = (bench.Work, bench.Spec, bench.Topology, bench.Bs1);
        {
            var api = $"{bs1.Host.Address}:8470";
            var agent = topology.StartInHost("bs1", ["dotnet", agentDll, "serve", "--listen", api, .. bs1.CommonArguments]);
            await agent.WaitForLineAsync(new Regex("admitted session="), TimeSpan.FromSeconds(60), cancel: ct);
            Console.WriteLine($"== emulated reboot inside boot jobs (switchgate-agent serve, warm): {runs} jobs, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, "
                + $"load average {Stat.LoadAverage()}");
            Console.WriteLine("job  power-cycle      launch         mac  Rebooting step  Attesting step  load1   (milliseconds)");
            var rows = new List<double[]>();
            for (var run = 1; run <= runs; run++)
            {
                var from = agent.Lines.Count;
                var host = topology.StartInHost("prod", ["dotnet", hostDll, "--server", $"http://{api}/", "--bind", spec.Host("prod").Address.ToString(),
                    "--timeout", "600", "submit", "--kernel", guest.KernelPath, "--initrd", guest.InitrdPath, "--cmdline", guest.KernelCommandLine,
                    "--memory", SwitchGate.Hypervisor.TestGuest.DefaultMemoryMiB.ToString(CultureInfo.InvariantCulture), "--deadline", "120",
                    "--work", Path.Combine(work, $"prod-{run}"), "--no-resume"]);
                await host.WaitForExitAsync(TimeSpan.FromMinutes(10), ct);
                await host.StopAsync("KILL"); // exited: this only waits until its output is read
                if (host.ExitCode != 0)
                    throw new InvalidOperationException($"job {run}: switchgate-host exit {host.ExitCode}\n{string.Join('\n', host.Lines.TakeLast(10))}");
                var lines = agent.Lines.Skip(from).ToList();
                var r = lines.Select(l => RebootedLine().Match(l)).LastOrDefault(m => m.Success)
                    ?? throw new InvalidOperationException($"job {run}: no rebooted line in the agent's log");
                var steps = lines.Select(l => StepLine().Match(l)).Where(m => m.Success).ToDictionary(m => m.Groups[1].Value, m => D(m.Groups[2]));
                var row = new[] { D(r.Groups[1]), D(r.Groups[2]), D(r.Groups[3]), steps["RebootStep"], steps["AttestStep"] };
                rows.Add(row);
                Console.WriteLine($"{run,3} " + string.Concat(row.Select(v => v.ToString("F1", CultureInfo.InvariantCulture).PadLeft(12)))
                    + $"  {Stat.LoadAverage().Split(' ')[0]}");
            }
            string[] names = ["power-cycle", "launch", "mac", "Rebooting", "Attesting"];
            for (var i = 0; i < names.Length; i++)
                Console.WriteLine($"{names[i],-11} ms: {Stat.Summary(rows.Select(row => row[i]).ToList(), "F1")}");
            Console.WriteLine($"end: load average {Stat.LoadAverage()}");
            await agent.StopAsync();
            return 0;
        }
    }

    /// <summary><c>attest --once</c> until admitted (retried while the gate has not loaded the record yet); HELLO → VERDICT and TPM ms.</summary>
    private static async Task<(double Total, double Tpm)> AttestAsync(BootServer bs1, CancellationToken ct)
    {
        AgentResult? last = null;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            last = await bs1.RunAgentAsync(["attest", "--once", "--timeout", "20"], cancel: ct);
            var m = AdmitLine().Match(last.Output);
            if (last.Succeeded && m.Success)
                return (D(m.Groups[1]), D(m.Groups[2]));
            await Task.Delay(500, ct);
        }
        throw new InvalidOperationException($"bs1 was not admitted:\n{last}");
    }

    private static double D(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);
}
