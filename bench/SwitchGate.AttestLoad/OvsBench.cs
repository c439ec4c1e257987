using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.AttestLoad;

/// <summary>
/// `sg-attestload ovs`: exchange latency through the real path (docs/BENCHMARKS.md §3). Brings up
/// topology/rack.yaml (OVS netdev bridge, namespaces, swtpm in each boot server's namespace), starts
/// `switchgate controller run` with the gate, enrols bs1 and runs `switchgate-agent attest --stay` there with a
/// short lease, so the agent renews every lease/2 s. Each completed exchange gives the agent's `exchange` line
/// (HELLO sent → VERDICT received, and the TPM's unseal + quote time in it). Everything is stopped by pid and the
/// rack torn down at the end, also on failure.
/// </summary>
internal static partial class OvsBench
{
    public const string Usage =
        "usage: sg-attestload ovs --cli-dll PATH [--topology FILE] [--runs N] [--lease S] [--audit-sync entry|background] [--node bs1]";

    [GeneratedRegex(@"exchange session=\S+ kind=(admit|renew) total_ms=([0-9.]+) tpm_ms=([0-9.]+)")]
    private static partial Regex ExchangeLine();

    public static async Task<int> RunAsync(string[] args)
    {
        string? cliDll = null, topologyFile = "topology/rack.yaml", auditSync = "entry", node = "bs1";
        int runs = 200, lease = 2;
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--cli-dll": cliDll = Value(); break;
                case "--topology": topologyFile = Value(); break;
                case "--runs": runs = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--lease": lease = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--audit-sync": auditSync = Value(); break;
                case "--node": node = Value(); break;
                default: throw new ArgumentException($"unknown argument '{args[i]}'\n{Usage}");
            }
        }

        if (cliDll is null || !File.Exists(cliDll))
            throw new ArgumentException($"--cli-dll must name the built switchgate.dll\n{Usage}");
        var agentDll = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(cliDll))!, "switchgate-agent.dll");
        if (!File.Exists(agentDll))
            throw new ArgumentException($"no switchgate-agent.dll next to {cliDll}");

        var work = Directory.CreateTempSubdirectory("sg-attest-ovs-").FullName;
        var enrolments = Path.Combine(work, "enrolments");
        Directory.CreateDirectory(enrolments);
        ControllerProcess? controller = null;
        RunningTopology? topology = null;
        Rack? rack = null;
        ManagedProcess? agent = null;
        try
        {
            controller = await ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(cliDll), 0,
            [
                "--enrolments", enrolments, "--audit-log", Path.Combine(work, "audit.jsonl"),
                "--lease", lease.ToString(CultureInfo.InvariantCulture), "--enrolment-poll", "0.5", "--audit-sync", auditSync,
            ]);
            var spec = TopologyLoader.LoadFile(topologyFile);
            topology = await TopologyRunner.UpAsync(spec, new TopologyRunOptions { ControllerPort = controller.Port });
            rack = await Rack.StartAsync(topology, new RackOptions { AgentCommand = ["dotnet", agentDll] });
            var boot = rack.BootServer(node);
            await boot.EnrolAsync(enrolments);
            // The gate reads the enrolment directory every 0.5 s; the agent retries HELLO until it is known.
            agent = boot.StartAgentService();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60 + runs * lease);
            List<(string Kind, double Total, double Tpm)> samples;
            while (true)
            {
                samples = agent.Lines.Select(l => ExchangeLine().Match(l)).Where(m => m.Success)
                    .Select(m => (m.Groups[1].Value, Parse(m.Groups[2].Value), Parse(m.Groups[3].Value))).ToList();
                if (samples.Count(s => s.Item1 == "renew") >= runs) break;
                if (agent.HasExited || DateTime.UtcNow > deadline)
                {
                    Console.Error.WriteLine($"sg-attestload ovs: only {samples.Count} exchanges; agent output:\n" +
                                            string.Join('\n', agent.Lines.TakeLast(30)) + "\n--- controller:\n" +
                                            string.Join('\n', controller.Process.Lines.TakeLast(30)));
                    return 1;
                }

                await Task.Delay(500);
            }

            var warnings = agent.Lines.Count(l => l.Contains("denied", StringComparison.Ordinal) || l.Contains("lease-expired", StringComparison.Ordinal)
                                                   || l.Contains("evidence-failed", StringComparison.Ordinal));
            var renewals = samples.Where(s => s.Kind == "renew").Take(runs).ToList();
            Console.WriteLine($"== attestation through OVS: {topologyFile}, node {node}, lease {lease} s (renewal every {lease / 2.0} s), " +
                              $"audit sync {auditSync}, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, load average {File.ReadAllText("/proc/loadavg").Trim()}");
            Console.WriteLine($"exchanges: {samples.Count} ({samples.Count(s => s.Kind == "admit")} admission, {renewals.Count} renewals measured); " +
                              $"agent denied/lease-expired/evidence-failed lines: {warnings}");
            Print("total (HELLO sent -> VERDICT received)", renewals.Select(s => s.Total));
            Print("tpm (connect + unseal + quote)", renewals.Select(s => s.Tpm));
            Print("total - tpm (verification, controller, audit, OVS round trips + flow-mod/barrier)", renewals.Select(s => s.Total - s.Tpm));
            foreach (var s in samples.Where(s => s.Kind == "admit"))
                Console.WriteLine($"first admission: total {s.Total:F3} ms, tpm {s.Tpm:F3} ms");
            return 0;
        }
        finally
        {
            if (agent is not null) await agent.DisposeAsync();
            if (rack is not null) await rack.DisposeAsync();
            else if (topology is not null) await topology.DisposeAsync();
            if (controller is not null) await controller.DisposeAsync();
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static void Print(string what, IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        double P(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: n={sorted.Length} p50={P(0.50):F3} ms p90={P(0.90):F3} ms p99={P(0.99):F3} ms max={sorted[^1]:F3} ms mean={sorted.Average():F3} ms"));
    }
}
