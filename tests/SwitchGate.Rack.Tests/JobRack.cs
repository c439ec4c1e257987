using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Hypervisor;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Storage;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// The rack for boot jobs (docs/jobs.md): <see cref="RackFixture"/> plus <c>switchgate-agent serve</c> in bs1 (job
/// API on its rack address) and <c>switchgate-host</c> runs in the production host (or h1), with the test guest of
/// scripts/lib/guest.sh. Disposing stops the agents, then checks that no QEMU of this rack is left.
/// </summary>
public sealed class JobRack : IAsyncDisposable
{
    public const int ApiPort = 8470;
    public const string Node = "bs1";

    private JobRack(RackFixture rack, TestGuestImage guest, string work)
    {
        Rack = rack;
        Guest = guest;
        Work = work;
    }

    public RackFixture Rack { get; }

    public TestGuestImage Guest { get; }

    /// <summary>The hosts' work directories (received images, resumed guests).</summary>
    public string Work { get; }

    public ManagedProcess? Agent { get; private set; }

    public BootServer Server => Rack.BootServer(Node);

    public JobStore Store => new(Path.Combine(Server.StateDirectory, "jobs"));

    public string ApiUrl => $"http://{Address(Node)}:{ApiPort}/";

    public static async Task<JobRack> StartAsync(int leaseSeconds = 10)
    {
        var guest = await TestGuest.LocateAsync();
        var rack = await RackFixture.StartAsync(leaseSeconds);
        var work = Directory.CreateTempSubdirectory("sg-jobs-").FullName;
        var jobs = new JobRack(rack, guest, work);
        try
        {
            await jobs.StartAgentAsync();
            return jobs;
        }
        catch
        {
            await jobs.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts <c>switchgate-agent serve</c> in bs1 and waits until its job API listens and (if clean) it is admitted.</summary>
    public async Task StartAgentAsync(bool waitAdmitted = true)
    {
        Agent = Rack.Topology.StartInHost(Node, ["dotnet", Paths.AgentDll, "serve", "--listen", $"{Address(Node)}:{ApiPort}", .. Server.CommonArguments]);
        await Agent.WaitForLineAsync(new Regex("serving jobs on"), TimeSpan.FromSeconds(60));
        if (waitAdmitted)
            await Agent.WaitForLineAsync(new Regex("admitted session="), TimeSpan.FromSeconds(60));
    }

    /// <summary>SIGKILL: the agent dies mid-step without a word (its guest, if any, is orphaned).</summary>
    public async Task KillAgentAsync()
    {
        await Agent!.KillAsync();
        Agent = null;
    }

    /// <summary><c>switchgate-host ARGS</c> in <paramref name="host"/>, started (not awaited): its lines are events.</summary>
    public ManagedProcess StartHost(string host, params string[] args) =>
        Rack.Topology.StartInHost(host, ["dotnet", Paths.HostDll, "--server", ApiUrl, "--bind", Address(host), .. args]);

    /// <summary><c>switchgate-host submit</c> of the test guest from <paramref name="host"/>, resuming it on arrival.</summary>
    public ManagedProcess Submit(string host, string? marker = null, int deadline = 90, params string[] extra) =>
        StartHost(host, ["--timeout", "400", "submit", "--kernel", Guest.KernelPath, "--initrd", Guest.InitrdPath, "--cmdline", Guest.KernelCommandLine,
            "--memory", TestGuest.DefaultMemoryMiB.ToString(CultureInfo.InvariantCulture), "--marker", marker ?? TestGuest.BootMarker,
            "--deadline", deadline.ToString(CultureInfo.InvariantCulture), "--work", Path.Combine(Work, host + "-" + Guid.NewGuid().ToString("N")[..8]),
            "--show-serial", "8", .. extra]);

    /// <summary>Runs a host command to completion.</summary>
    public async Task<(int ExitCode, string Output)> RunHostAsync(string host, TimeSpan timeout, params string[] args)
    {
        var process = StartHost(host, args);
        await FinishAsync(process, timeout);
        return (process.ExitCode ?? -1, string.Join('\n', process.Lines));
    }

    /// <summary>Waits for a host command to end (killed after <paramref name="timeout"/>) and for all its output to be read.</summary>
    public static async Task FinishAsync(ManagedProcess process, TimeSpan timeout)
    {
        await process.WaitForExitAsync(timeout);
        await process.StopAsync("KILL");
    }

    /// <summary>The job id a submitting host printed.</summary>
    public static async Task<string> JobIdAsync(ManagedProcess host) =>
        (await host.WaitForLineAsync(new Regex(@"created job=(j[0-9a-z-]+)"), TimeSpan.FromSeconds(120))).Groups[1].Value;

    /// <summary>Polls bs1's job record on disk until <paramref name="condition"/> holds.</summary>
    public async Task<JobRecord> WaitForRecordAsync(string id, Func<JobRecord, bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        JobRecord? last = null;
        while (true)
        {
            try
            {
                last = Store.Load(id);
                if (condition(last)) return last;
            }
            catch (Exception e) when (e is SwitchGate.Jobs.Codec.JobFormatException or IOException)
            {
            }
            if (watch.Elapsed > timeout)
                throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for job {id} {what}; last state {last?.State}\n{AgentOutput()}");
            await Task.Delay(50);
        }
    }

    public Task<JobRecord> WaitForStateAsync(string id, JobState state, TimeSpan? timeout = null) =>
        WaitForRecordAsync(id, r => r.State == state, timeout ?? TimeSpan.FromSeconds(180), $"to be {state}");

    public string AgentOutput() => "--- agent:\n" + string.Join('\n', Agent?.Lines.TakeLast(60) ?? []) + "\n" + Rack.ControllerOutput();

    public string Address(string host) => Rack.Spec.Host(host).Address.ToString();

    /// <summary>A TCP connection from <paramref name="from"/> to <paramref name="to"/>:<paramref name="port"/> within <paramref name="seconds"/>.</summary>
    public async Task<bool> TcpConnectsAsync(string from, string to, int port, int seconds = 3)
    {
        var result = await Rack.Topology.ExecAsync(from,
            ["timeout", seconds.ToString(CultureInfo.InvariantCulture), "bash", "-c", $"exec 3<>/dev/tcp/{Address(to)}/{port}"], TimeSpan.FromSeconds(seconds + 10));
        return result.ExitCode == 0;
    }

    /// <summary>A TCP server in <paramref name="host"/> on its rack address (busybox httpd), stopped by pid at teardown.</summary>
    public async Task<ManagedProcess> ListenAsync(string host, int port)
    {
        var root = Directory.CreateDirectory(Path.Combine(Work, $"www-{host}")).FullName;
        var server = Rack.Topology.StartInHost(host, ["busybox", "httpd", "-f", "-p", $"{Address(host)}:{port}", "-h", root]);
        var deadline = Stopwatch.StartNew();
        while (!(await Rack.Topology.ExecAsync(host, ["ss", "-Hltn", $"sport = :{port}"])).StandardOutput.Contains(':', StringComparison.Ordinal))
        {
            if (server.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(10))
                throw new InvalidOperationException($"busybox httpd did not listen in {host}: {string.Join('\n', server.Lines)}");
            await Task.Delay(100);
        }
        return server;
    }

    /// <summary>Pids of QEMU processes whose command line points into this rack's directories (none may outlive a test).</summary>
    public IReadOnlyList<int> LeftoverGuests()
    {
        var roots = new[] { Server.Directory, Work };
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                var args = File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0');
                if (args.Length > 0 && args[0].EndsWith(QemuCommandLine.Binary, StringComparison.Ordinal)
                    && args.Any(a => roots.Any(r => a.Contains(r, StringComparison.Ordinal))))
                    pids.Add(pid);
            }
            catch (IOException)
            {
            }
        }
        return pids;
    }

    public async ValueTask DisposeAsync()
    {
        var leftovers = new List<int>();
        try
        {
            if (Agent is not null) await Agent.StopAsync();
            leftovers.AddRange(LeftoverGuests());
            foreach (var pid in leftovers)
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            await Rack.DisposeAsync();
            Directory.Delete(Work, recursive: true);
        }
        Assert.True(leftovers.Count == 0, $"QEMU processes left running by the rack: {string.Join(", ", leftovers)}");
    }
}
