using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace SwitchGate.LoadGen;

/// <summary>Options of the cbench-style run (see docs/BENCHMARKS.md).</summary>
internal sealed record LoadOptions(
    string Mode,
    IPEndPoint Target,
    int Switches,
    double DurationSeconds,
    double WarmupSeconds,
    int Macs,
    int Ports,
    int Window,
    byte TableId,
    int? TargetPid,
    string Label,
    bool Verbose)
{
    public static LoadOptions Parse(Args a)
    {
        string mode = a.String("--mode", "throughput");
        if (mode is not ("throughput" or "latency"))
            throw new UsageException($"--mode: '{mode}' is neither throughput nor latency");
        var targetText = a.String("--target", "127.0.0.1:6653");
        if (!IPEndPoint.TryParse(targetText, out var target) || target.Port == 0)
            throw new UsageException($"--target: '{targetText}' is not HOST:PORT");
        int window = a.Int("--window", mode == "latency" ? 1 : 256, 0, 2048);
        if (mode == "latency" && window != 1)
            throw new UsageException("--mode latency means exactly one outstanding packet-in per switch (--window 1)");
        int? pid = a.OptionalString("--target-pid") is { } p
            ? int.TryParse(p, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v : throw new UsageException($"--target-pid: '{p}' is not a pid")
            : null;
        var options = new LoadOptions(
            mode,
            target,
            a.Int("--switches", 16, 1, 4096),
            a.Double("--duration", 10, 1, 3600),
            a.Double("--warmup", 2, 0, 600),
            a.Int("--macs", 1000, 1, 0xFF_FFFF),
            a.Int("--ports", 4, 1, 0xFF00),
            window,
            (byte)a.Int("--table-id", 1, 0, 254),
            pid,
            a.String("--label", "target"),
            a.String("--verbose", "false") == "true");
        a.EnsureAllUsed();
        return options;
    }
}

/// <summary>
/// Connects N fake switches, waits until every one is ready, warms up, then samples the counters once a second
/// for the duration and prints the medians (one human summary and one machine-readable RESULT line).
/// </summary>
internal static class LoadRun
{
    private static readonly TimeSpan ReadyAfterFeatures = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(LoadOptions o)
    {
        var control = new RunControl();
        var switches = Enumerable.Range(0, o.Switches)
            .Select(i => new FakeSwitch(i, 0x5347_0000_0000_0000UL | (uint)(i + 1), o.Macs, o.Ports, o.TableId, o.Window, StallTimeout, control))
            .ToArray();
        using var connectTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        foreach (var s in switches)
            await s.ConnectAsync(o.Target, connectTimeout.Token);
        var running = switches.Select(s => s.RunAsync()).ToArray();
        using var stopWatchdog = new CancellationTokenSource();
        var watchdog = WatchdogAsync(switches, stopWatchdog.Token);
        int exit = 0;
        try
        {
            var readyBy = Stopwatch.StartNew();
            while (!switches.All(s => s.Ready || s.Failure is not null) && readyBy.Elapsed < TimeSpan.FromSeconds(15))
                await Task.Delay(20);
            if (switches.FirstOrDefault(s => !s.Ready || s.Failure is not null) is { } bad)
            {
                Console.Error.WriteLine($"sg-loadgen: switch {bad.DatapathId:x16} not ready: {bad.Failure ?? "handshake not finished in 15 s"}");
                return 3;
            }
            await Task.Delay(TimeSpan.FromSeconds(o.WarmupSeconds));
            exit = await MeasureAsync(o, switches, control);
        }
        finally
        {
            control.StopSending = true;
            stopWatchdog.Cancel();
            foreach (var s in switches)
                s.Close();
            await Task.WhenAll(running.Append(watchdog)).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        }
        return exit;
    }

    private static async Task WatchdogAsync(FakeSwitch[] switches, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var s in switches)
                s.Tick(ReadyAfterFeatures);
            try
            {
                await Task.Delay(100, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private readonly record struct Snapshot(long FlowMods, long PacketOuts, long Answered, long Sent, long Timestamp)
    {
        public static Snapshot Take(FakeSwitch[] switches) => new(
            switches.Sum(s => s.FlowMods), switches.Sum(s => s.PacketOuts), switches.Sum(s => s.Answered), switches.Sum(s => s.Sent),
            Stopwatch.GetTimestamp());
    }

    private static async Task<int> MeasureAsync(LoadOptions o, FakeSwitch[] switches, RunControl control)
    {
        double selfCpu0 = ProcStats.SelfCpuSeconds();
        double? targetCpu0 = o.TargetPid is int pid0 ? ProcStats.ProcessCpuSeconds(pid0) : null;
        var machine0 = ProcStats.MachineCpuSeconds();
        long lost0 = switches.Sum(s => s.Lost), errors0 = switches.Sum(s => s.Errors);
        control.Measuring = true;
        var first = Snapshot.Take(switches);
        var previous = first;
        var responses = new List<double>();
        var answered = new List<double>();
        int seconds = (int)Math.Round(o.DurationSeconds);
        for (int k = 1; k <= seconds; k++)
        {
            var due = first.Timestamp + (k * Stopwatch.Frequency);
            var wait = TimeSpan.FromTicks((due - Stopwatch.GetTimestamp()) * TimeSpan.TicksPerSecond / Stopwatch.Frequency);
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait);
            var now = Snapshot.Take(switches);
            double dt = (double)(now.Timestamp - previous.Timestamp) / Stopwatch.Frequency;
            responses.Add((now.FlowMods + now.PacketOuts - previous.FlowMods - previous.PacketOuts) / dt);
            answered.Add((now.Answered - previous.Answered) / dt);
            if (o.Verbose)
                Console.WriteLine($"  t={k,3}s responses/s {responses[^1],12:N0}  answered/s {answered[^1],12:N0}");
            previous = now;
        }
        control.Measuring = false;
        var last = previous;
        double elapsed = (double)(last.Timestamp - first.Timestamp) / Stopwatch.Frequency;
        double selfCpu = ProcStats.SelfCpuSeconds() - selfCpu0;
        double? targetCpu = o.TargetPid is int pid1 && targetCpu0 is double t0 && ProcStats.ProcessCpuSeconds(pid1) is double t1 ? t1 - t0 : null;
        var machine1 = ProcStats.MachineCpuSeconds();
        double machineBusy = machine1.Busy - machine0.Busy, machineTotal = machine1.Total - machine0.Total;
        long? targetRss = o.TargetPid is int pid2 ? ProcStats.RssKiB(pid2) : null;
        long lost = switches.Sum(s => s.Lost) - lost0, errors = switches.Sum(s => s.Errors) - errors0;
        var failures = switches.Where(s => s.Failure is not null).ToList();

        var latency = new LatencyHistogram();
        foreach (var s in switches)
            latency.Add(s.Latency);
        long flowMods = last.FlowMods - first.FlowMods, packetOuts = last.PacketOuts - first.PacketOuts;
        long distinctSources = switches.Sum(s => Math.Min(s.Sent, o.Macs));
        // Since connecting (warm-up included): packet n of a switch comes from its host n mod macs and a connection
        // is answered in order, so a switch with at least `macs` answers has had every source MAC processed.
        long minAnsweredPerSwitch = switches.Min(s => s.Answered);
        long flowModsTotal = switches.Sum(s => s.FlowMods);

        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"sg-loadgen {o.Label}: mode={o.Mode} switches={o.Switches} window={o.Window} macs/switch={o.Macs} ports={o.Ports} duration={elapsed:0.0}s warmup={o.WarmupSeconds}s target={o.Target}");
        Console.WriteLine($"  responses/s (FLOW_MOD + PACKET_OUT messages): median {Median(responses),12:N0}  min {responses.Min(),12:N0}  max {responses.Max(),12:N0}");
        Console.WriteLine($"  packet-ins answered/s (PACKET_OUT carrying our frame): median {Median(answered),12:N0}  min {answered.Min(),12:N0}  max {answered.Max(),12:N0}");
        Console.WriteLine($"  totals: {flowMods:N0} FLOW_MOD, {packetOuts:N0} PACKET_OUT ({(packetOuts == 0 ? 0 : (double)flowMods / packetOuts):0.00} flow-mods per packet-out); lost (no answer in {StallTimeout.TotalSeconds:0} s): {lost:N0}; controller ERRORs: {errors:N0}");
        if (latency.Count > 0)
            Console.WriteLine($"  latency packet-in -> its PACKET_OUT: p50 {latency.PercentileMicros(0.5):0} us  p99 {latency.PercentileMicros(0.99):0} us  ({latency.Count:N0} samples)");
        Console.WriteLine($"  CPU: generator {100 * selfCpu / elapsed:0}% of one core" +
            (targetCpu is double tc ? $", {o.Label} (pid {o.TargetPid}) {100 * tc / elapsed:0}% of one core" : "") +
            $", whole machine {100 * machineBusy / machineTotal:0}% busy of {Environment.ProcessorCount} cores");
        if (targetRss is long rss)
            Console.WriteLine($"  {o.Label} VmRSS: {rss / 1024.0:0.0} MiB with {o.Switches} switches connected, {distinctSources:N0} distinct source MACs sent; since connecting every switch had >= {minAnsweredPerSwitch:N0} packet-ins answered, {flowModsTotal:N0} FLOW_MODs in all");
        foreach (var f in failures)
            Console.WriteLine($"  FAILED switch {f.DatapathId:x16}: {f.Failure}");
        if (o.Verbose)
        {
            foreach (var (type, count) in switches[0].ReceivedByType())
                Console.WriteLine($"  switch 0 received {type}: {count:N0}");
            if (switches.FirstOrDefault(s => s.FirstError is not null) is { } e)
                Console.WriteLine($"  first ERROR: {e.FirstError}");
        }

        var result = new List<string>
        {
            $"label={o.Label}", $"mode={o.Mode}", $"switches={o.Switches}", $"window={o.Window}", $"macs={o.Macs}",
            F("duration_s", elapsed), F("responses_per_s_median", Median(responses)), F("responses_per_s_min", responses.Min()),
            F("responses_per_s_max", responses.Max()), F("answered_per_s_median", Median(answered)),
            $"flow_mods={flowMods}", $"packet_outs={packetOuts}", $"lost={lost}", $"errors={errors}",
            F("p50_us", latency.PercentileMicros(0.5)), F("p99_us", latency.PercentileMicros(0.99)),
            F("gen_cpu_pct", 100 * selfCpu / elapsed), F("target_cpu_pct", targetCpu is double c ? 100 * c / elapsed : double.NaN),
            F("machine_busy_pct", 100 * machineBusy / machineTotal), $"target_rss_kib={(targetRss?.ToString(inv) ?? "NaN")}",
            $"distinct_sources={distinctSources}", $"min_answered_per_switch={minAnsweredPerSwitch}", $"flow_mods_total={flowModsTotal}",
            $"failed_switches={failures.Count}",
        };
        Console.WriteLine("RESULT " + string.Join(' ', result));
        return failures.Count == 0 ? 0 : 4;

        static string F(string name, double value) => $"{name}={value.ToString("0.##", CultureInfo.InvariantCulture)}";
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }
}
