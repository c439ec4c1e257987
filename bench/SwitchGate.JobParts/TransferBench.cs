using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Transfer;
using SwitchGate.Topology;

namespace SwitchGate.JobParts;

/// <summary>
/// `sg-jobparts transfer`: the second image's download as switchgate-host does it (<see cref="JobClient.DownloadAsync"/>:
/// streamed to disk with 1 MiB buffers, SHA-256 computed as the bytes arrive, size and digest checked) against curl, for the same file, from the same
/// server, between the same namespaces: bs1 serves, prod fetches, through OVS with the gate (bs1 enrolled and kept
/// admitted by `switchgate-agent attest --stay`). Two servers, each serving the file under the path the job API uses
/// (<c>jobs/ID/second/state</c>), so the client is the only difference: busybox httpd (sendfile) and python3's
/// http.server. Per round and server the clients run in alternating order; medians and ratios are reported.
/// </summary>
internal static partial class TransferBench
{
    private const string JobId = "jbench";

    [GeneratedRegex(@"fetched seconds=([0-9.]+) bytes=(\d+)")]
    private static partial Regex FetchedLine();

    public static async Task<int> RunAsync(string cliDll, int sizeMib, int rounds, string topologyFile, CancellationToken ct)
    {
        var agentDll = Path.Combine(Path.GetDirectoryName(cliDll)!, "switchgate-agent.dll");
        if (!File.Exists(agentDll))
            throw new ArgumentException($"no switchgate-agent.dll next to {cliDll}");
        var self = Path.Combine(AppContext.BaseDirectory, "sg-jobparts.dll");

        var work = Directory.CreateTempSubdirectory("sg-jobparts-").FullName;
        var enrolments = Directory.CreateDirectory(Path.Combine(work, "enrolments")).FullName;
        var www = Path.Combine(work, "www");
        var file = Path.Combine(Directory.CreateDirectory(Path.Combine(www, "jobs", JobId, "second")).FullName, "state");
        var outDir = Directory.CreateDirectory(Path.Combine(work, "prod")).FullName;
        ControllerProcess? controller = null;
        RunningTopology? topology = null;
        Rack? rack = null;
        try
        {
            var (size, sha256) = WriteTestFile(file, sizeMib);
            controller = await ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(cliDll), 0,
                ["--enrolments", enrolments, "--audit-log", Path.Combine(work, "audit.jsonl"), "--lease", "10", "--enrolment-poll", "0.5"], cancel: ct);
            var spec = TopologyLoader.LoadFile(topologyFile);
            topology = await TopologyRunner.UpAsync(spec, new TopologyRunOptions { ControllerPort = controller.Port }, ct);
            rack = await Rack.StartAsync(topology, new RackOptions { AgentCommand = ["dotnet", agentDll] }, ct);
            await controller.WaitForSwitchReadyAsync(spec.Switches[0].DatapathId, TimeSpan.FromSeconds(30), cancel: ct);
            var bs1 = rack.BootServer("bs1");
            await bs1.EnrolAsync(enrolments, ct);
            var agent = bs1.StartAgentService();
            await agent.WaitForLineAsync(new Regex("admitted session="), TimeSpan.FromSeconds(60), cancel: ct);
            var server = bs1.Host.Address.ToString();
            var client = spec.Host("prod").Address.ToString();

            var servers = new (string Name, int Port, string[] Command)[]
            {
                ("busybox httpd", 9000, ["busybox", "httpd", "-f", "-p", $"{server}:9000", "-h", www]),
                ("python3 http.server", 9001, ["python3", "-m", "http.server", "9001", "--bind", server, "--directory", www]),
            };
            foreach (var s in servers)
            {
                topology.StartInHost("bs1", s.Command);
                await WaitListeningAsync(topology, "bs1", s.Port, ct);
            }

            Console.WriteLine($"== transfer: {size} B ({sizeMib} MiB) prod ({client}) <- bs1 ({server}) through OVS with the gate, {rounds} rounds, "
                + $"{DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, load average {Stat.LoadAverage()}");
            Console.WriteLine("clients: switchgate = JobClient.DownloadAsync in `sg-jobparts fetch` (HttpClient, 1 MiB buffers, SHA-256 while receiving, size + digest checked);"
                + " curl = `curl -o FILE` (time_total); curl+sha256sum = curl's time + `sha256sum FILE`'s wall time");

            async Task<double> Ours(string url)
            {
                var target = Path.Combine(outDir, "ours");
                var fetch = topology.StartInHost("prod", ["dotnet", self, "fetch", "--url", url, "--bind", client,
                    "--size", size.ToString(CultureInfo.InvariantCulture), "--sha256", sha256, "--out", target]);
                await fetch.WaitForExitAsync(TimeSpan.FromMinutes(5), ct);
                await fetch.StopAsync("KILL"); // exited: this only waits until its output is read
                var line = fetch.Lines.Select(l => FetchedLine().Match(l)).FirstOrDefault(m => m.Success);
                File.Delete(target);
                if (fetch.ExitCode != 0 || line is null)
                    throw new InvalidOperationException($"sg-jobparts fetch {url} failed (exit {fetch.ExitCode}):\n{string.Join('\n', fetch.Lines.TakeLast(10))}");
                return size / 1048576.0 / double.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture);
            }

            async Task<(double Curl, double CurlHash)> Curl(string url)
            {
                var target = Path.Combine(outDir, "curl");
                var curl = await topology.ExecAsync("prod", ["curl", "-sS", "--fail", "-o", target, "-w", "%{time_total} %{size_download}", url],
                    TimeSpan.FromMinutes(5), ct);
                var fields = curl.StandardOutput.Trim().Split(' ');
                if (curl.ExitCode != 0 || fields.Length != 2 || long.Parse(fields[1], CultureInfo.InvariantCulture) != size)
                    throw new InvalidOperationException($"curl {url} failed (exit {curl.ExitCode}): {curl.StandardOutput} {curl.StandardError}");
                var seconds = double.Parse(fields[0], CultureInfo.InvariantCulture);
                var watch = Stopwatch.StartNew();
                var hash = await CommandRunner.RunAsync("sha256sum", [target], TimeSpan.FromMinutes(2), ct);
                var hashSeconds = watch.Elapsed.TotalSeconds;
                File.Delete(target);
                if (!hash.StandardOutput.StartsWith(sha256, StringComparison.Ordinal))
                    throw new InvalidOperationException($"curl {url}: the file's SHA-256 differs: {hash.StandardOutput}");
                return (size / 1048576.0 / seconds, size / 1048576.0 / (seconds + hashSeconds));
            }

            // One unmeasured fetch per client and server: ARP, JIT, the file in the page cache.
            foreach (var s in servers)
            {
                var url = $"http://{server}:{s.Port}/";
                await Ours(url);
                await Curl(url + $"jobs/{JobId}/second/state");
            }

            var results = servers.ToDictionary(s => s.Name, _ => (Ours: new List<double>(), Curl: new List<double>(), CurlHash: new List<double>(), Ratio: new List<double>()));
            Console.WriteLine("round server               order  switchgate MiB/s  curl MiB/s  curl+sha256sum MiB/s  load1");
            for (var round = 1; round <= rounds; round++)
            {
                foreach (var s in servers)
                {
                    var url = $"http://{server}:{s.Port}/";
                    double ours, curlSpeed, curlHash;
                    var oursFirst = round % 2 == 1;
                    if (oursFirst)
                    {
                        ours = await Ours(url);
                        (curlSpeed, curlHash) = await Curl(url + $"jobs/{JobId}/second/state");
                    }
                    else
                    {
                        (curlSpeed, curlHash) = await Curl(url + $"jobs/{JobId}/second/state");
                        ours = await Ours(url);
                    }
                    var r = results[s.Name];
                    r.Ours.Add(ours);
                    r.Curl.Add(curlSpeed);
                    r.CurlHash.Add(curlHash);
                    r.Ratio.Add(ours / curlSpeed);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{round,5} {s.Name,-20} {(oursFirst ? "sg,curl" : "curl,sg"),-7}{ours,16:F1}{curlSpeed,12:F1}{curlHash,22:F1}  {Stat.LoadAverage().Split(' ')[0]}"));
                }
            }
            foreach (var (name, r) in results)
            {
                Console.WriteLine($"{name}: switchgate {Stat.Summary(r.Ours, "F1")} MiB/s; curl {Stat.Summary(r.Curl, "F1")} MiB/s; curl+sha256sum {Stat.Summary(r.CurlHash, "F1")} MiB/s");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"RESULT server=\"{name}\" bytes={size} rounds={rounds} sg_mib_s_median={Stat.Median(r.Ours):F1} curl_mib_s_median={Stat.Median(r.Curl):F1} "
                    + $"curl_sha_mib_s_median={Stat.Median(r.CurlHash):F1} ratio_of_medians={Stat.Median(r.Ours) / Stat.Median(r.Curl) * 100:F0}% "
                    + $"median_of_round_ratios={Stat.Median(r.Ratio) * 100:F0}% ratio_vs_curl_sha={Stat.Median(r.Ours) / Stat.Median(r.CurlHash) * 100:F0}%"));
            }
            Console.WriteLine($"end: load average {Stat.LoadAverage()}");
            await agent.StopAsync();
            return 0;
        }
        finally
        {
            // The rack stops every process started in a host (agent, httpd, python, fetch) by pid, then swtpm, and deletes
            // the namespaces and the bridge.
            if (rack is not null) await rack.DisposeAsync();
            else if (topology is not null) await topology.DisposeAsync();
            if (controller is not null) await controller.DisposeAsync();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>`sg-jobparts fetch`: one download with the production host's client, timed in-process (like curl's time_total).</summary>
    public static async Task<int> FetchAsync(Uri url, IPAddress bind, long size, string sha, string target, CancellationToken ct)
    {
        using var client = new JobClient(url, bind);
        var watch = Stopwatch.StartNew();
        await client.DownloadAsync(JobId, SecondImageFile.State, new FileDigest(size, sha), target, ct);
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fetched seconds={seconds:F4} bytes={new FileInfo(target).Length}"));
        return 0;
    }

    /// <summary>Pseudo-random bytes (incompressible, fixed seed) standing in for a saved state; its size and SHA-256.</summary>
    private static (long Size, string Sha256) WriteTestFile(string path, int mib)
    {
        var random = new Random(9);
        var buffer = new byte[1 << 20];
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            for (var i = 0; i < mib; i++)
            {
                random.NextBytes(buffer);
                sha.AppendData(buffer);
                stream.Write(buffer);
            }
        }
        return ((long)mib << 20, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static async Task WaitListeningAsync(RunningTopology topology, string host, int port, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        while (!(await topology.ExecAsync(host, ["ss", "-Hltn", $"sport = :{port}"], cancel: ct)).StandardOutput.Contains(':', StringComparison.Ordinal))
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(20))
                throw new InvalidOperationException($"nothing listens on port {port} in {host}");
            await Task.Delay(100, ct);
        }
    }
}
