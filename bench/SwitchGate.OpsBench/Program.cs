using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using SwitchGate.Attestation;
using SwitchGate.Gate.Audit;
using SwitchGate.Gate.Policy;
using SwitchGate.Operations.Store;

// sg-opsbench: figures of issue 10 ("Performance"), docs/BENCHMARKS.md "Operations: API and store".
//   store  --work DIR [--duration S] [--inflight N] [--rounds R]
//          the real OperationsStore (WAL, synchronous=FULL, ordered writer, group commit), alternated per round:
//            grouped: one producer keeping N writes of one record in flight (the gate's many sessions)
//            serial:  one producer awaiting each write (one record per transaction)
//            jsonl:   the JSON-lines AuditLog with fsync per entry (the peer the store replaced)
//   api    --url URL --token T [--duration S] [--path P]
//          one client GETting P back to back; latency of each request (connection kept alive).
//   controller run ARGS...   (everything after `controller` is passed on unparsed)
//          for sg-attestload --controller-dll: runs `dotnet $SG_OPSBENCH_CLI_DLL controller run ARGS --config
//          $SG_OPSBENCH_CONFIG` (the API and store on), forwards SIGTERM/SIGINT and exits with its code, so the
//          generator's own controller serves the API the client reads.
// `controller` passes everything after it through unparsed: those are the CLI's own arguments.
if (args.Length > 0 && args[0] == "controller")
{
    var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
    start.ArgumentList.Add(Environment.GetEnvironmentVariable("SG_OPSBENCH_CLI_DLL") ?? throw new InvalidOperationException("SG_OPSBENCH_CLI_DLL is not set"));
    foreach (var a in args) start.ArgumentList.Add(a);
    start.ArgumentList.Add("--config");
    start.ArgumentList.Add(Environment.GetEnvironmentVariable("SG_OPSBENCH_CONFIG") ?? throw new InvalidOperationException("SG_OPSBENCH_CONFIG is not set"));
    using var child = Process.Start(start)!;
    void Forward(System.Runtime.InteropServices.PosixSignalContext c) { c.Cancel = true; _ = Kill(child.Id, 15); } // a child already gone needs no signal
    using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Forward);
    using var interrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Forward);
    await child.WaitForExitAsync();
    return child.ExitCode;
}

Option<double> DurationOption() => new("--duration") { Description = "seconds per run", DefaultValueFactory = _ => 5 };
var workOption = new Option<DirectoryInfo>("--work") { Description = "an existing directory for the databases and logs", Required = true };
var storeDuration = DurationOption();
var inflightOption = new Option<int>("--inflight") { Description = "writes kept in flight by the grouped producer", DefaultValueFactory = _ => 64 };
var roundsOption = new Option<int>("--rounds") { Description = "rounds of grouped, serial, jsonl", DefaultValueFactory = _ => 2 };
var store = new Command("store", "OperationsStore write throughput: grouped, serial and the JSON-lines peer, alternated per round")
{
    workOption, storeDuration, inflightOption, roundsOption,
};
store.SetAction(async (parse, ct) =>
{
    var work = parse.GetRequiredValue(workOption).FullName;
    var duration = TimeSpan.FromSeconds(parse.GetValue(storeDuration));
    if (!Directory.Exists(work)) { Console.Error.WriteLine("store: --work DIR must exist"); return 2; }
    var inflight = parse.GetValue(inflightOption);
    var rounds = parse.GetValue(roundsOption);
    Console.WriteLine($"store: {duration.TotalSeconds} s per run, grouped with {inflight} in flight; load average {LoadAverage()}");
    string[] modes = ["grouped", "serial", "jsonl"];
    for (var round = 1; round <= rounds; round++)
    {
        foreach (var mode in modes)
        {
            var path = Path.Combine(work, $"{mode}-{round}");
            var r = mode == "jsonl" ? RunJsonl(path + ".jsonl", duration) : await RunStore(path + ".db", duration, mode == "grouped" ? inflight : 1);
            Console.WriteLine($"round {round} {mode,-7}: {r}; load average {LoadAverage()}");
        }
    }
    return 0;
});

var urlOption = new Option<string>("--url") { Description = "the controller's API", DefaultValueFactory = _ => "http://127.0.0.1:6680" };
var tokenOption = new Option<string>("--token") { Description = "a read token", DefaultValueFactory = _ => "" };
var pathOption = new Option<string>("--path") { Description = "the path to GET", DefaultValueFactory = _ => "/api/v1/nodes" };
var apiDuration = DurationOption();
var api = new Command("api", "one client GETting a path back to back; latency of each request") { urlOption, tokenOption, pathOption, apiDuration };
api.SetAction(async (parse, ct) =>
{
    var url = parse.GetValue(urlOption)!;
    var token = parse.GetValue(tokenOption)!;
    var path = parse.GetValue(pathOption)!;
    var duration = TimeSpan.FromSeconds(parse.GetValue(apiDuration));
    using var http = new HttpClient { BaseAddress = new Uri(url) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    var latencies = new List<double>();
    long bytes = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < duration)
    {
        var t = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(path, ct);
        var body = await response.Content.ReadAsByteArrayAsync(ct);
        latencies.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        if (!response.IsSuccessStatusCode) { Console.Error.WriteLine($"api: {path} answered {(int)response.StatusCode}"); return 1; }
        bytes = body.Length;
    }
    Console.WriteLine($"api {path}: {latencies.Count} requests in {clock.Elapsed.TotalSeconds:F1} s, {bytes} bytes each, " +
                      $"p50 {Percentile(latencies, 50):F2} ms p99 {Percentile(latencies, 99):F2} ms; load average {LoadAverage()}");
    return 0;
});

var root = new RootCommand("sg-opsbench: figures of issue 10, docs/BENCHMARKS.md \"Operations: API and store\"") { store, api };
return await root.Parse(args).InvokeAsync();

[System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
static extern int Kill(int pid, int signal);

static AuditEntry Entry(long i) => new()
{
    Time = DateTimeOffset.UtcNow,
    Event = "verdict",
    Node = $"node-{i % 1000:D4}",
    DatapathId = 1,
    Port = (uint)(i % 48),
    Session = (ulong)i,
    Verdict = VerdictKind.Admitted,
    Reason = ReasonCode.Admitted,
    LeaseSeconds = 60,
};

static async Task<string> RunStore(string path, TimeSpan duration, int inflight)
{
    OperationsStore.Create(path);
    await using var store = OperationsStore.Open(path);
    var commitSeconds = new List<double>();
    store.CommitTimed += s => { lock (commitSeconds) commitSeconds.Add(s * 1000); };
    var ackMs = new List<double>();
    long next = 0;
    var clock = Stopwatch.StartNew();
    async Task Producer()
    {
        while (clock.Elapsed < duration)
        {
            var t = Stopwatch.GetTimestamp();
            await store.WriteAsync([Entry(Interlocked.Increment(ref next))]);
            var ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
            lock (ackMs) ackMs.Add(ms);
        }
    }
    await Task.WhenAll(Enumerable.Range(0, inflight).Select(_ => Task.Run(Producer)));
    var seconds = clock.Elapsed.TotalSeconds;
    var (commits, records) = store.WriterStats;
    List<double> commitsCopy;
    lock (commitSeconds) commitsCopy = [.. commitSeconds];
    return $"{records / seconds:F0} records/s, {commits} commits ({(double)records / Math.Max(1, commits):F1} records each), " +
           $"commit p50 {Percentile(commitsCopy, 50):F2} ms p99 {Percentile(commitsCopy, 99):F2} ms, " +
           $"write-to-ack p50 {Percentile(ackMs, 50):F2} ms p99 {Percentile(ackMs, 99):F2} ms";
}

static string RunJsonl(string path, TimeSpan duration)
{
    using var log = new AuditLog(path, syncEveryAppend: true);
    var ms = new List<double>();
    long i = 0;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed < duration)
    {
        var t = Stopwatch.GetTimestamp();
        log.Append(Entry(++i));
        ms.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }
    return $"{i / clock.Elapsed.TotalSeconds:F0} records/s, append+fsync p50 {Percentile(ms, 50):F2} ms p99 {Percentile(ms, 99):F2} ms";
}

static double Percentile(List<double> values, double p)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToArray();
    return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
}

static string LoadAverage() => string.Join(" / ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
