using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Hypervisor;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Storage;

namespace SwitchGate.JobParts;

/// <summary>
/// `sg-jobparts jobs` (docs/BENCHMARKS.md "Boot jobs"): topology/rack.yaml with the gate, switchgate-agent serve in
/// bs1, and RUNS boot jobs of the test guest submitted one after the other by switchgate-host from prod. Per run: each
/// job phase from bs1's record, the transfer and resume times the host reports, and the orchestration overhead
/// = total (job queued -> guest seen running on at prod) - (guest boot + state save + transfer + resume).
/// Each run is a pair: the host waiting with held status requests (its default), then the same job with --poll (a
/// request every 0.3 s, the way before), so the hand-back wait of both is measured in the same run, alternating.
/// Then the same saved state file fetched from bs1 (busybox httpd) to prod by curl, CURL_RUNS times, in the same run.
/// Everything is stopped by pid and the rack torn down at the end (<see cref="BenchRack"/>).
/// </summary>
internal static class JobsBench
{
    private static readonly string[] PollFlag = ["--poll"];

    public static async Task<int> RunAsync(string cliDll, int runs, int curlRuns, string topologyFile, CancellationToken ct)
    {
        var agentDll = Path.Combine(Path.GetDirectoryName(cliDll)!, "switchgate-agent.dll");
        var hostDll = Path.Combine(Path.GetDirectoryName(cliDll)!, "switchgate-host.dll");
        var guest = await TestGuest.LocateAsync(ct);
        var accel = AcceleratorProbe.Describe();

        await using var bench = await BenchRack.StartAsync(cliDll, agentDll, topologyFile, ct);
        var (work, spec, topology, bs1) = (bench.Work, bench.Spec, bench.Topology, bench.Bs1);
        string bs1Ip = bs1.Host.Address.ToString(), prodIp = spec.Host("prod").Address.ToString();
        var agent = topology.StartInHost("bs1", ["dotnet", agentDll, "serve", "--listen", $"{bs1Ip}:8470", .. bs1.CommonArguments]);
        await agent.WaitForLineAsync(new Regex("admitted session="), TimeSpan.FromSeconds(60), cancel: ct);
        var store = new JobStore(Path.Combine(bs1.StateDirectory, "jobs"));

        Console.WriteLine($"== boot jobs: {topologyFile}, test guest {Path.GetFileName(guest.KernelPath)} + initrd, {TestGuest.DefaultMemoryMiB} MiB, "
            + $"accelerator {accel.Accelerator} ({accel.Reason.Split('\n')[0][..Math.Min(accel.Reason.Length, 60)]}), {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, "
            + $"load average {Stat.LoadAverage()}");
        Console.WriteLine("run  wait-by depart  boot    save   reboot attest verify wait   transfer MiB/s  resume run-on  total   overhead  (seconds)");
        var rows = new Dictionary<string, List<double[]>> { ["held"] = [], ["poll"] = [] };
        string? keptState = null;
        for (var i = 0; i < runs * 2; i++)
        {
            var run = i / 2 + 1;
            var mode = i % 2 == 0 ? "held" : "poll";
            var dir = Path.Combine(work, $"prod-{run}-{mode}");
            var host = topology.StartInHost("prod", ["dotnet", hostDll, "--server", $"http://{bs1Ip}:8470/", "--bind", prodIp, "--timeout", "600", "submit",
                "--kernel", guest.KernelPath, "--initrd", guest.InitrdPath, "--cmdline", guest.KernelCommandLine,
                "--memory", TestGuest.DefaultMemoryMiB.ToString(CultureInfo.InvariantCulture), "--deadline", "120", "--work", dir, "--run-on-timeout", "30",
                .. mode == "poll" ? PollFlag : []]);
            await host.WaitForExitAsync(TimeSpan.FromMinutes(10), ct);
            await host.StopAsync("KILL"); // after the exit: only waits until all its output is read
            var lines = host.Lines;
            if (host.ExitCode != 0)
            {
                Console.Error.WriteLine($"run {run}: switchgate-host exit {host.ExitCode}\n{string.Join('\n', lines)}\n--- agent:\n{string.Join('\n', agent.Lines.TakeLast(30))}");
                return 1;
            }
            DateTimeOffset At(string key) => HostTime(lines.First(l => l.Contains($" {key} ", StringComparison.Ordinal)));
            double Field(string key, string field) =>
                double.Parse(Regex.Match(lines.First(l => l.Contains($" {key} ", StringComparison.Ordinal)), $@"{field}=([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);
            var id = Regex.Match(lines.First(l => l.Contains(" created ", StringComparison.Ordinal)), @"job=(\S+)").Groups[1].Value;
            var record = store.Load(id);
            double Phase(JobState s) => (record.Phases.First(p => p.State > s).At - record.Phases.First(p => p.State == s).At).TotalSeconds;
            var queued = record.Phases.First(p => p.State == JobState.Queued).At;
            var ready = record.Phases.First(p => p.State == JobState.Ready).At;
            var transfer = Field("received", "seconds");
            var received = At("received");
            var resumedAt = At("resumed");
            var resume = Field("resumed", "seconds");
            var total = (At("runs-on") - queued).TotalSeconds;
            var boot = Phase(JobState.Booting);
            var save = Phase(JobState.Saving);
            var wait = (received.AddSeconds(-transfer) - ready).TotalSeconds; // Ready -> the host starts downloading (answer + manifest)
            var runOn = (At("runs-on") - resumedAt).TotalSeconds;            // resumed -> a counter past the pause on the console
            var overhead = total - (boot + save + transfer + resume);
            var row = new[] { Phase(JobState.Departing), boot, save, Phase(JobState.Rebooting), Phase(JobState.Attesting), Phase(JobState.Verifying), wait,
                transfer, Field("received", "mib_per_s"), resume, runOn, total, overhead };
            rows[mode].Add(row);
            Console.WriteLine($"{run,3}  {mode,-7} " + string.Join(" ", row.Select(v => v.ToString("F3", CultureInfo.InvariantCulture).PadLeft(6))));
            keptState = Path.Combine(dir, "state");
        }
        foreach (var (mode, list) in rows)
            Console.WriteLine($"med  {mode,-7} " + string.Join(" ", Enumerable.Range(0, list[0].Length).Select(c => Median(list, c).ToString("F3", CultureInfo.InvariantCulture).PadLeft(6))));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"hand-back wait median: held {Median(rows["held"], 6):F3} s, poll {Median(rows["poll"], 6):F3} s; "
            + $"overhead median: held {Median(rows["held"], 12):F3} s, poll {Median(rows["poll"], 12):F3} s"));

        // Peer: the same file between the same namespaces with curl (bs1 clean and admitted, busybox httpd in bs1).
        var www = Directory.CreateDirectory(Path.Combine(work, "www")).FullName;
        File.Copy(keptState!, Path.Combine(www, "state"));
        var size = new FileInfo(keptState!).Length;
        await using var httpd = topology.StartInHost("bs1", ["busybox", "httpd", "-f", "-p", $"{bs1Ip}:9000", "-h", www]);
        await Task.Delay(500, ct);
        var speeds = new List<double>();
        for (var i = 0; i < curlRuns; i++)
        {
            var target = Path.Combine(work, $"curl-{i}");
            var curl = await topology.ExecAsync("prod", ["curl", "-s", "-o", target, "-w", "%{time_total}", $"http://{bs1Ip}:9000/state"], TimeSpan.FromMinutes(2), ct);
            var seconds = double.Parse(curl.StandardOutput.Trim(), CultureInfo.InvariantCulture);
            if (new FileInfo(target).Length != size) { Console.Error.WriteLine($"curl got {new FileInfo(target).Length} of {size} bytes"); return 1; }
            speeds.Add(size / 1048576.0 / seconds);
            File.Delete(target);
        }
        var ours = Stat.Median(rows.Values.SelectMany(l => l).Select(r => r[8]).ToArray());
        var theirs = Stat.Median(speeds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"transfer of the {size} B state prod <- bs1: switchgate-host median {ours:F1} MiB/s (HTTP + SHA-256 + write), curl median {theirs:F1} MiB/s "
            + $"(runs: {string.Join(", ", speeds.Select(s => s.ToString("F1", CultureInfo.InvariantCulture)))}); ratio {ours / theirs * 100:F0} %"));
        await agent.StopAsync();
        return 0;
    }

    private static double Median(List<double[]> rows, int column) => Stat.Median(rows.Select(r => r[column]).ToArray());

    // switchgate-host lines start with HH:mm:ss.fff (UTC, today).
    private static DateTimeOffset HostTime(string line) =>
        new(DateTime.SpecifyKind(DateTime.UtcNow.Date + TimeSpan.ParseExact(line[..12], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture), DateTimeKind.Utc));
}
