using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SwitchGate.AttestLoad;

// sg-attestload: the scale benchmark of issue 4 (docs/BENCHMARKS.md). It enrols N simulated nodes
// (software AKs) into a fresh enrolment directory, starts `switchgate controller run --enrolments DIR` as a
// separate process, connects S fake switches on loopback carrying the nodes, and lets every node re-attest
// every interval, with a share of bad evidence that must be denied.
try
{
    if (args.Length > 0 && args[0] == "serve")
        return await Serve.RunAsync(args[1..]);
    if (args.Length > 0 && args[0] == "ovs")
        return await OvsBench.RunAsync(args[1..]);
    var options = Options.Parse(args);
    return await ScaleRun.RunAsync(options);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"sg-attestload: {ex.Message}");
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

internal sealed record Options
{
    public const string Usage =
        "usage: sg-attestload --controller-dll PATH --work DIR [--nodes 1000] [--switches 16] [--interval 2] " +
        "[--warmup 10] [--duration 30] [--bad-every 50] [--lease 30] [--pid-file FILE] [--audit-sync every|background] [--swtpm]\n" +
        "       sg-attestload serve --port P --enrolments DIR --audit-log FILE [--lease 30]   (controller + gate, audit fsync in the background)";

    public int Nodes { get; init; } = 1000;
    public int Switches { get; init; } = 16;
    public double IntervalSeconds { get; init; } = 2;
    public double WarmupSeconds { get; init; } = 10;
    public double DurationSeconds { get; init; } = 30;
    public int BadEvery { get; init; } = 50;
    public int LeaseSeconds { get; init; } = 30;
    public string ControllerDll { get; init; } = "";
    public string WorkDirectory { get; init; } = "";
    public string? PidFile { get; init; }
    /// <summary>"every": `switchgate controller run` (fsync per audit append, the CLI's only mode); "background": <see cref="Serve"/>.</summary>
    public string AuditSync { get; init; } = "every";

    /// <summary>Node 0 gets a real TPM (swtpm started by the generator) instead of the software quoter.</summary>
    public bool Swtpm { get; init; }

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            double Number(double min, double max)
            {
                var name = args[i];
                var text = Value();
                return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
                    ? v : throw new ArgumentException($"{name}: '{text}' is not a number in {min}..{max}");
            }
            o = args[i] switch
            {
                "--nodes" => o with { Nodes = (int)Number(1, 60_000) },
                "--switches" => o with { Switches = (int)Number(1, 250) },
                "--interval" => o with { IntervalSeconds = Number(0.05, 600) },
                "--warmup" => o with { WarmupSeconds = Number(0, 600) },
                "--duration" => o with { DurationSeconds = Number(1, 3600) },
                "--bad-every" => o with { BadEvery = (int)Number(0, 1_000_000) },
                "--lease" => o with { LeaseSeconds = (int)Number(1, 65535) },
                "--swtpm" => o with { Swtpm = true },
                "--controller-dll" => o with { ControllerDll = Value() },
                "--work" => o with { WorkDirectory = Value() },
                "--pid-file" => o with { PidFile = Value() },
                "--audit-sync" => o with { AuditSync = Value() is var v && v is "every" or "background" ? v : throw new ArgumentException("--audit-sync: every or background") },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'"),
            };
        }
        if (!File.Exists(o.ControllerDll))
            throw new ArgumentException($"--controller-dll '{o.ControllerDll}' does not exist");
        if (!Directory.Exists(o.WorkDirectory))
            throw new ArgumentException($"--work '{o.WorkDirectory}' is not a directory");
        if ((o.Nodes + o.Switches - 1) / o.Switches > 250)
            throw new ArgumentException("at most 250 nodes per switch");
        return o;
    }
}

internal static class ScaleRun
{
    private static readonly TimeSpan ExchangeTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(Options o)
    {
        var stats = new Stats();
        int perSwitch = (o.Nodes + o.Switches - 1) / o.Switches;
        // Node i sits on switch i mod S, port 1 + i / S; datapath ids 0xa7000001.. ("attestation load").
        using var tpm = o.Swtpm ? await SwtpmEvidence.StartAsync(o.WorkDirectory, o.PidFile is null ? null : o.PidFile + ".swtpm.pid") : null;
        if (tpm is not null)
            Console.WriteLine($"swtpm pid {tpm.Pid} on 127.0.0.1:{tpm.Port}: node 0 attests with it (unseal + quote + PCR_Read per exchange)");
        var nodes = Enumerable.Range(0, o.Nodes).Select(i => new SimNode(i, i % o.Switches, (uint)(1 + i / o.Switches), 0xA700_0001UL + (ulong)(i % o.Switches), i == 0 ? tpm : null)).ToArray();
        var enrolments = Path.Combine(o.WorkDirectory, "enrolments");
        Directory.CreateDirectory(enrolments);
        foreach (var node in nodes)
            File.WriteAllBytes(Path.Combine(enrolments, node.Name + ".json"), node.Enrolment().ToJson());
        Console.WriteLine($"enrolled {o.Nodes} nodes ({(tpm is null ? "software ECDSA P-256 AKs" : "node 0 with the swtpm AK, the others software ECDSA P-256 AKs")}, {SimNode.Selection}) in {enrolments}");

        int port = FreePort();
        var audit = Path.Combine(o.WorkDirectory, "audit.jsonl");
        using var controller = StartController(o, enrolments, audit, port);
        if (o.PidFile is not null)
            File.WriteAllText(o.PidFile, controller.Id.ToString(CultureInfo.InvariantCulture));
        Console.WriteLine($"controller ({(o.AuditSync == "every" ? "switchgate controller run, audit fsync per verdict" : "sg-attestload serve, audit fsync in the background")}) pid {controller.Id} on 127.0.0.1:{port}, log {Path.Combine(o.WorkDirectory, "controller.log")}");

        var switches = Enumerable.Range(0, o.Switches)
            .Select(s => new AttestSwitch(0xA700_0001UL + (ulong)s, perSwitch, nodes.Where(n => n.SwitchIndex == s), stats)).ToArray();
        try
        {
            await ConnectAllAsync(switches, new IPEndPoint(IPAddress.Loopback, port), controller);
            var running = switches.Select(s => s.RunAsync()).ToArray();
            var readyBy = Stopwatch.StartNew();
            while (!switches.All(s => s.ColdStartDone))
            {
                if (switches.FirstOrDefault(s => s.Failure is not null) is { } failed)
                    return Fatal($"switch 0x{failed.DatapathId:x} failed during the handshake: {failed.Failure}");
                if (readyBy.Elapsed > TimeSpan.FromSeconds(120))
                    return Fatal("the controller did not finish the cold start of every switch in 120 s");
                await Task.Delay(100);
            }
            await Task.Delay(1000);
            Console.WriteLine($"cold start done on {o.Switches} switches in {readyBy.Elapsed.TotalSeconds:F1} s: {switches.Sum(s => s.FlowMods)} flow-mods, {switches.Sum(s => s.MeterMods)} meter-mods");

            var result = await DriveAsync(o, nodes, switches, stats, controller.Id);
            if (switches.FirstOrDefault(s => s.Failure is not null) is { } broken)
                Console.WriteLine($"switch failure: 0x{broken.DatapathId:x}: {broken.Failure}");
            Report(o, stats, switches, result, audit);
            bool clean = stats.AllFalseAccepts == 0 && stats.AllFalseRejects == 0 && switches.All(s => s.Failure is null && s.Errors == 0);
            Console.WriteLine($"RESULT: {(clean ? "no false verdicts" : "FALSE VERDICTS OR FAILURES (see above)")}");
            return clean ? 0 : 1;
        }
        finally
        {
            foreach (var s in switches)
                s.Close();
            Stop(controller);
        }
    }

    private sealed record Window(double Seconds, double ControllerCpu, double GeneratorCpu, double MachineBusy, double MachineTotal,
        long? RssKiB, long? HwmKiB, string LoadBefore, string LoadAfter);

    private static async Task<Window> DriveAsync(Options o, SimNode[] nodes, AttestSwitch[] switches, Stats stats, int controllerPid)
    {
        var interval = TimeSpan.FromSeconds(o.IntervalSeconds);
        long start = Stopwatch.GetTimestamp();
        // Spread the nodes' first HELLOs evenly over one interval; then each node's next HELLO is one interval later.
        var next = nodes.Select(n => start + (long)(n.Index * (double)interval.Ticks / nodes.Length * Stopwatch.Frequency / TimeSpan.TicksPerSecond)).ToArray();
        long step = (long)(interval.TotalSeconds * Stopwatch.Frequency);
        // Which exchanges carry bad evidence: a seeded draw, so that it hits every node sooner or later (a plain
        // modulo of the exchange counter would always pick the same nodes) and a run can be repeated.
        var draw = new Random(4);
        long bad = 0;
        bool measuring = false, measured = false;
        double cpu0 = 0, gen0 = 0;
        (double Busy, double Total) machine0 = default;
        string load0 = "";
        var measureStart = TimeSpan.FromSeconds(o.WarmupSeconds);
        var measureEnd = measureStart + TimeSpan.FromSeconds(o.DurationSeconds);
        var sweep = Stopwatch.StartNew();
        Window? window = null;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(2));
        while (!measured)
        {
            await timer.WaitForNextTickAsync();
            var elapsed = Stopwatch.GetElapsedTime(start);
            if (!measuring && elapsed >= measureStart)
            {
                measuring = true;
                cpu0 = ProcFs.CpuSeconds(controllerPid) ?? double.NaN;
                gen0 = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
                machine0 = ProcFs.MachineCpu();
                load0 = ProcFs.LoadAverage();
                stats.OpenWindow();
            }
            if (measuring && elapsed >= measureEnd)
            {
                stats.CloseWindow();
                var machine1 = ProcFs.MachineCpu();
                window = new Window(
                    (elapsed - measureStart).TotalSeconds,
                    (ProcFs.CpuSeconds(controllerPid) ?? double.NaN) - cpu0,
                    Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - gen0,
                    machine1.Busy - machine0.Busy, machine1.Total - machine0.Total,
                    ProcFs.StatusKiB(controllerPid, "VmRSS"), ProcFs.StatusKiB(controllerPid, "VmHWM"), load0, ProcFs.LoadAverage());
                measured = true;
                break;
            }
            long now = Stopwatch.GetTimestamp();
            foreach (var node in nodes)
            {
                if (next[node.Index] > now)
                    continue;
                next[node.Index] += step;
                var kind = o.BadEvery > 0 && draw.Next(o.BadEvery) == 0
                    ? (bad++ % 2 == 0 ? EvidenceKind.WrongNonce : EvidenceKind.DirtyPcr)
                    : EvidenceKind.Valid;
                if (node.StartExchange(kind) is { } hello)
                {
                    Stats.Count(ref stats.Started);
                    switches[node.SwitchIndex].SendFromNode(node, hello);
                }
                else
                {
                    Stats.Count(ref stats.Overruns);
                }
            }
            if (sweep.Elapsed > TimeSpan.FromMilliseconds(500))
            {
                sweep.Restart();
                foreach (var node in nodes)
                    if (node.Expire(ExchangeTimeout))
                        Stats.Count(ref stats.Timeouts);
            }
        }
        // Let the exchanges of the window finish (or time out) before counting.
        var drain = Stopwatch.StartNew();
        while (nodes.Any(n => n.Outstanding) && drain.Elapsed < ExchangeTimeout + TimeSpan.FromSeconds(1))
            await Task.Delay(50);
        foreach (var node in nodes)
            if (node.Expire(TimeSpan.Zero))
                Stats.Count(ref stats.Timeouts);
        return window!;
    }

    private static void Report(Options o, Stats stats, AttestSwitch[] switches, Window w, string audit)
    {
        var inv = CultureInfo.InvariantCulture;
        long completed = stats.ValidAdmitted + stats.ValidRenewed + stats.FalseRejects + stats.BadDenied + stats.FalseAccepts;
        double expected = o.Nodes / o.IntervalSeconds;
        var valid = stats.Latency(valid: true);
        var bad = stats.Latency(valid: false);
        Console.WriteLine(string.Create(inv, $"""
            == scale: {o.Nodes} nodes on {o.Switches} fake switches, re-attesting every {o.IntervalSeconds} s, measured {w.Seconds:F1} s after {o.WarmupSeconds} s warm-up
            attestations completed/s: {completed / w.Seconds:F1} (expected {expected:F1}; {completed} exchanges with a verdict whose HELLO was sent in the window)
            valid evidence: {stats.ValidRenewed} renewed + {stats.ValidAdmitted} admitted, false rejects {stats.FalseRejects}
            bad evidence (1 exchange in {o.BadEvery} drawn at random, alternately wrong nonce / dirty PCR 14): {stats.BadDenied} denied or revoked, false accepts {stats.FalseAccepts}
            whole run incl. warm-up and drain: {stats.AllVerdicts} verdicts, false rejects {stats.AllFalseRejects}, false accepts {stats.AllFalseAccepts}
            no verdict within {ExchangeTimeout.TotalSeconds:F0} s: {stats.Timeouts}; HELLO slots skipped (previous exchange still open): {stats.Overruns}; unsolicited verdicts: {stats.Unsolicited}; misdirected/malformed PACKET_OUTs: {stats.Misdirected}/{stats.Malformed}
            verdict latency (HELLO sent -> VERDICT received), valid: n={valid.Count} p50={valid.P50:F2} ms p90={valid.P90:F2} ms p99={valid.P99:F2} ms max={valid.Max:F2} ms
            verdict latency, bad evidence: n={bad.Count} p50={bad.P50:F2} ms p99={bad.P99:F2} ms
            controller CPU: {100 * w.ControllerCpu / w.Seconds:F1} % of one core; RSS {w.RssKiB / 1024.0:F1} MiB (peak VmHWM {w.HwmKiB / 1024.0:F1} MiB)
            generator CPU: {100 * w.GeneratorCpu / w.Seconds:F1} % of one core
            machine: {100 * w.MachineBusy / w.MachineTotal:F1} % busy over {Environment.ProcessorCount} cores during the window; load average before {w.LoadBefore}, after {w.LoadAfter}
            switches: {switches.Sum(s => s.FlowMods)} flow-mods, {switches.Sum(s => s.MeterMods)} meter-mods, {switches.Sum(s => s.Barriers)} barriers answered, {switches.Sum(s => s.Errors)} OpenFlow errors
            """));
        var (tpmTime, rest) = stats.TpmSplit();
        if (tpmTime.Count > 0)
            Console.WriteLine(string.Create(inv, $"real TPM (swtpm) exchanges: n={tpmTime.Count}; TPM unseal+quote+PCR_Read p50={tpmTime.P50:F2} ms p99={tpmTime.P99:F2} ms; everything else (total - TPM) p50={rest.P50:F2} ms p99={rest.P99:F2} ms"));
        foreach (var (reason, count) in stats.Reasons.OrderByDescending(kv => kv.Value))
            Console.WriteLine($"  {count,8}  {reason}");
        foreach (var (detail, count) in stats.FalseVerdictDetails.OrderByDescending(kv => kv.Value).Take(20))
            Console.WriteLine($"  FALSE VERDICT x{count}: {detail}");
        if (File.Exists(audit))
            Console.WriteLine($"audit log: {File.ReadLines(audit).Count()} entries");
    }

    private static Process StartController(Options o, string enrolments, string audit, int port)
    {
        var log = Path.Combine(o.WorkDirectory, "controller.log");
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        // exec keeps the pid: the process we measure and stop is the controller itself.
        string[] command = o.AuditSync == "every"
            ? ["dotnet", o.ControllerDll, "controller", "run", "--listen", "127.0.0.1", "--plaintext", "--log-level", "Warning"]
            : ["dotnet", System.Reflection.Assembly.GetEntryAssembly()!.Location, "serve"];
        string[] shell = ["-c", "exec \"$@\" >>\"$LOG\" 2>&1", "sh"];
        foreach (var a in shell.Concat(command).Concat([
                     "--port", port.ToString(CultureInfo.InvariantCulture),
                     "--enrolments", enrolments, "--audit-log", audit, "--lease", o.LeaseSeconds.ToString(CultureInfo.InvariantCulture)]))
            start.ArgumentList.Add(a);
        start.Environment["LOG"] = log;
        return Process.Start(start) ?? throw new InvalidOperationException("could not start the controller");
    }

    private static async Task ConnectAllAsync(AttestSwitch[] switches, IPEndPoint endpoint, Process controller)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(endpoint);
                break;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(120) && !controller.HasExited)
            {
                await Task.Delay(200);
            }
        }
        foreach (var s in switches)
            await s.ConnectAsync(endpoint, CancellationToken.None);
    }

    private static void Stop(Process controller)
    {
        if (controller.HasExited)
            return;
        using (var kill = Process.Start("kill", ["-TERM", controller.Id.ToString(CultureInfo.InvariantCulture)]))
            kill.WaitForExit();
        if (!controller.WaitForExit(10_000))
            controller.Kill();
        controller.WaitForExit();
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static int Fatal(string message)
    {
        Console.Error.WriteLine($"sg-attestload: {message}");
        return 1;
    }
}
