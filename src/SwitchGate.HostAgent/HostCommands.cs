using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using SwitchGate.Hypervisor;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;
using SwitchGate.Jobs.Storage;
using SwitchGate.Jobs.Transfer;

namespace SwitchGate.HostAgent;

/// <summary>Exit codes of <c>switchgate-host</c> (docs/jobs.md "Production host agent").</summary>
public static class HostExit
{
    public const int Ok = 0;
    public const int Usage = 1;
    /// <summary>Transfer failed or the second image was refused (digest, size, schema, another machine).</summary>
    public const int Transfer = 2;
    /// <summary>The boot server reported the job Failed; its reason is printed.</summary>
    public const int JobFailed = 3;
    /// <summary>The resumed guest did not run on (QEMU refused the state, or its counter did not move past the pause).</summary>
    public const int NotRunning = 4;
    /// <summary>No outcome before --timeout.</summary>
    public const int Timeout = 5;
}

/// <summary>
/// <c>switchgate-host</c>, the production host agent (docs/jobs.md): submits a boot job to a boot server over the
/// rack, waits, receives the second image, checks its digests, resumes the guest with the production device set
/// and reports that it runs on. One <c>key=value</c> line per event on stdout.
/// </summary>
public static class HostCommands
{
    private static readonly Option<string> ServerOption = new("--server")
    {
        Description = "The boot server's job API, e.g. http://10.0.0.11:8470/",
        Required = true,
        Recursive = true,
    };

    private static readonly Option<string?> BindOption = new("--bind")
    {
        Description = "Connect from this address (the host's rack address)",
        Recursive = true,
    };

    private static readonly Option<double> TimeoutOption = new("--timeout")
    {
        Description = "Give up after this many seconds (exit 5)",
        DefaultValueFactory = _ => 600,
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("SwitchGate production host agent: submit a boot job, receive the booted VM, resume it") { ServerOption, BindOption, TimeoutOption };
        root.Subcommands.Add(SubmitCommand());
        root.Subcommands.Add(FetchCommand());
        root.Subcommands.Add(ListCommand());
        root.Subcommands.Add(ShowCommand());
        return root;
    }

    private static readonly Option<string> WorkOption = new("--work") { Description = "Directory for the received image and the resumed guest's files", Required = true };
    private static readonly Option<bool> NoResumeOption = new("--no-resume") { Description = "Only receive and check the second image" };
    private static readonly Option<double> RunOnOption = new("--run-on-timeout") { Description = "Seconds to wait for the resumed guest's counter to pass the paused value", DefaultValueFactory = _ => 60 };
    private static readonly Option<int> SerialLinesOption = new("--show-serial") { Description = "Print this many of the resumed guest's serial lines", DefaultValueFactory = _ => 0 };
    private static readonly Option<bool> PollOption = new("--poll") { Description = "Poll the job every 0.3 s instead of holding a status request at the agent (agents without it; the benchmark's peer)" };
    private static readonly Option<bool> KeepOption = new("--keep-running") { Description = "Keep the resumed guest running until SIGTERM (default: stop it after the check)" };

    private static Command SubmitCommand()
    {
        var kernel = new Option<string>("--kernel") { Description = "Guest kernel (bzImage)", Required = true };
        var initrd = new Option<string?>("--initrd") { Description = "Guest initramfs" };
        var disk = new Option<string?>("--disk") { Description = "Guest disk (raw); it comes back with the second image" };
        var cmdline = new Option<string>("--cmdline") { Description = "Kernel command line", DefaultValueFactory = _ => "console=ttyS0" };
        var memory = new Option<int>("--memory") { Description = "Guest memory in MiB", DefaultValueFactory = _ => 128 };
        var marker = new Option<string>("--marker") { Description = "'Booted' = a serial line containing this", DefaultValueFactory = _ => "SWITCHGATE-GUEST-BOOTED" };
        var deadline = new Option<int>("--deadline") { Description = "Seconds the guest has to print the marker", DefaultValueFactory = _ => 120 };
        var noWait = new Option<bool>("--no-wait") { Description = "Print the job id once it is queued and exit" };
        var command = new Command("submit", "Upload the first image, submit the job, wait, receive and check the second image, resume it")
        {
            kernel, initrd, disk, cmdline, memory, marker, deadline, noWait, WorkOption, NoResumeOption, RunOnOption, SerialLinesOption, KeepOption, PollOption,
        };
        command.SetAction((parse, ct) => Guard(parse, async (client, limit) =>
        {
            var files = new Dictionary<FirstImageFile, string> { [FirstImageFile.Kernel] = parse.GetValue(kernel)! };
            if (parse.GetValue(initrd) is { } i) files[FirstImageFile.Initrd] = i;
            if (parse.GetValue(disk) is { } d) files[FirstImageFile.Disk] = d;
            var digests = files.ToDictionary(f => f.Key, f => JobStore.DigestOf(f.Value));
            var job = new BootJob(digests[FirstImageFile.Kernel], digests.GetValueOrDefault(FirstImageFile.Initrd), digests.GetValueOrDefault(FirstImageFile.Disk),
                parse.GetValue(cmdline)!, parse.GetValue(memory), parse.GetValue(marker)!, TimeSpan.FromSeconds(parse.GetValue(deadline)));
            JobCodec.Write(job); // the same checks the agent makes, before anything is sent

            var record = await client.CreateAsync(limit);
            Say($"created job={record.Id}");
            foreach (var (file, path) in files)
            {
                await client.UploadAsync(record.Id, file, path, limit);
                Say($"uploaded job={record.Id} file={JobCodec.FileName(file)} bytes={digests[file].Size} sha256={digests[file].Sha256}");
            }
            var id = record.Id;
            var hold = !parse.GetValue(noWait) && !parse.GetValue(PollOption);
            try
            {
                record = await client.SubmitAsync(id, job, limit, hold ? JobWatch.DefaultWait : null);
            }
            catch (JobTransferException e) when (hold && e.Status is null)
            {
                // The held answer was lost (the node went dirty, or its wait ended while it was): the job is queued.
                Say($"unreachable job={id} reason=\"{e.Message}\"");
                return await ReceiveAndResumeAsync(parse, client, id, null, files, job, limit);
            }
            Say($"submitted job={record.Id} state={record.State}");
            if (parse.GetValue(noWait))
                return HostExit.Ok;
            return await ReceiveAndResumeAsync(parse, client, record.Id, record.State, files, job, limit);
        }));
        return command;
    }

    private static Command FetchCommand()
    {
        var id = new Argument<string>("id") { Description = "The job" };
        var kernel = new Option<string>("--kernel") { Description = "The kernel submitted with the job", Required = true };
        var initrd = new Option<string?>("--initrd") { Description = "The initramfs submitted with the job" };
        var command = new Command("fetch", "Wait for a submitted job, receive and check its second image, resume it")
        {
            id, kernel, initrd, WorkOption, NoResumeOption, RunOnOption, SerialLinesOption, KeepOption, PollOption,
        };
        command.SetAction((parse, ct) => Guard(parse, (client, limit) =>
        {
            var files = new Dictionary<FirstImageFile, string> { [FirstImageFile.Kernel] = parse.GetValue(kernel)! };
            if (parse.GetValue(initrd) is { } i) files[FirstImageFile.Initrd] = i;
            return ReceiveAndResumeAsync(parse, client, parse.GetValue(id)!, null, files, null, limit);
        }));
        return command;
    }

    private static Command ListCommand()
    {
        var command = new Command("list", "This host's jobs on the boot server");
        command.SetAction((parse, ct) => Guard(parse, async (client, limit) =>
        {
            foreach (var r in await client.ListAsync(limit))
                Say($"job={r.Id} state={r.State} since={r.Since:O}" + (r.Failure is null ? "" : $" failure=\"{r.Failure}\""));
            return HostExit.Ok;
        }));
        return command;
    }

    private static Command ShowCommand()
    {
        var id = new Argument<string>("id") { Description = "The job" };
        var command = new Command("show", "One job's state and phases") { id };
        command.SetAction((parse, ct) => Guard(parse, async (client, limit) =>
        {
            var r = await client.StatusAsync(parse.GetValue(id)!, limit);
            Say($"job={r.Id} state={r.State} submitter={r.Submitter} boot_attempts={r.BootAttempts}" + (r.Failure is null ? "" : $" failure=\"{r.Failure}\""));
            DateTimeOffset? previous = null;
            foreach (var phase in r.Phases)
            {
                Say($"  phase={phase.State} at={phase.At:O}" + (previous is { } p ? $" after_ms={(phase.At - p).TotalMilliseconds:F0}" : ""));
                previous = phase.At;
            }
            return HostExit.Ok;
        }));
        return command;
    }

    /// <summary>Waits for Ready or Failed, receives and checks the second image, confirms it, resumes the guest.</summary>
    private static async Task<int> ReceiveAndResumeAsync(ParseResult parse, JobClient client, string id, JobState? known,
        IReadOnlyDictionary<FirstImageFile, string> files, BootJob? submitted, CancellationToken limit)
    {
        var record = await WaitAsync(client, id, known, parse.GetValue(PollOption), limit);
        if (record.State == JobState.Failed)
        {
            Say($"failed job={id} reason=\"{record.Failure}\"");
            return HostExit.JobFailed;
        }
        if (record.State != JobState.Ready)
        {
            Say($"failed job={id} reason=\"the job is {record.State}, nothing to receive\"");
            return HostExit.JobFailed;
        }

        var work = Path.GetFullPath(parse.GetValue(WorkOption)!);
        Directory.CreateDirectory(work);
        var manifest = await client.ManifestAsync(id, limit);
        // The boot server must have booted the machine this host asked for: same kernel, initrd, command line, memory.
        var kernelDigest = JobStore.Sha256Hex(files[FirstImageFile.Kernel]);
        var initrdDigest = files.TryGetValue(FirstImageFile.Initrd, out var initrdPath) ? JobStore.Sha256Hex(initrdPath) : null;
        if (manifest.JobId != id || manifest.KernelSha256 != kernelDigest || manifest.InitrdSha256 != initrdDigest
            || submitted is not null && (manifest.KernelCommandLine != submitted.KernelCommandLine || manifest.MemoryMiB != submitted.MemoryMiB))
            throw new JobFormatException("second image manifest", "describes another machine than the one submitted");
        var started = DateTimeOffset.UtcNow;
        var statePath = Path.Combine(work, "state");
        await client.DownloadAsync(id, SecondImageFile.State, manifest.State, statePath, limit);
        string? diskPath = null;
        if (manifest.Disk is { } disk)
        {
            diskPath = Path.Combine(work, "disk");
            await client.DownloadAsync(id, SecondImageFile.Disk, disk, diskPath, limit);
        }
        var seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;
        var bytes = manifest.State.Size + (manifest.Disk?.Size ?? 0);
        Say($"received job={id} state_bytes={manifest.State.Size} disk_bytes={manifest.Disk?.Size ?? 0} sha256_state={manifest.State.Sha256} verified=true "
            + $"seconds={seconds.ToString("F2", CultureInfo.InvariantCulture)} mib_per_s={(bytes / 1048576.0 / Math.Max(seconds, 1e-6)).ToString("F1", CultureInfo.InvariantCulture)} "
            + $"booted_on={manifest.Accelerator} paused_at=\"{manifest.LastSerialLine}\"");
        await client.ConfirmDeliveryAsync(id, limit);
        Say($"delivered job={id}");
        if (parse.GetValue(NoResumeOption))
            return HostExit.Ok;

        var spec = new GuestSpec(files[FirstImageFile.Kernel], initrdDigest is null ? null : initrdPath, diskPath, manifest.KernelCommandLine, manifest.MemoryMiB);
        var resumeStarted = DateTimeOffset.UtcNow;
        QemuGuest guest;
        try
        {
            guest = await QemuGuest.ResumeAsync(spec, DeviceProfile.ProductionMinimal, statePath, Path.Combine(work, "guest"), limit);
        }
        catch (QemuException e)
        {
            Say($"not-running job={id} reason=\"{e.Message}\"");
            return HostExit.NotRunning;
        }
        await using (guest)
        {
            Say($"resumed job={id} pid={guest.ProcessId} accelerator={guest.Accelerator.ToString().ToLowerInvariant()} profile={DeviceProfile.ProductionMinimal} "
                + $"seconds={(DateTimeOffset.UtcNow - resumeStarted).TotalSeconds.ToString("F2", CultureInfo.InvariantCulture)}");
            var paused = Counter(manifest.LastSerialLine);
            try
            {
                var line = await guest.WaitForSerialAsync(l => Counter(l) is { } c && c > (paused ?? -1), $"a counter past {paused}",
                    TimeSpan.FromSeconds(parse.GetValue(RunOnOption)), limit);
                Say($"runs-on job={id} counter_at_pause={paused?.ToString(CultureInfo.InvariantCulture) ?? "unknown"} counter_now={Counter(line)}");
            }
            catch (TimeoutException)
            {
                Say($"not-running job={id} reason=\"no counter past {paused} on the serial console within {parse.GetValue(RunOnOption)} s\"");
                return HostExit.NotRunning;
            }
            if (parse.GetValue(SerialLinesOption) is > 0 and var n)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), limit);
                foreach (var line in SerialTail(guest.SerialLogPath, n))
                    Say($"serial {line}");
            }
            if (parse.GetValue(KeepOption))
            {
                Say($"keep-running job={id} pid={guest.ProcessId} (SIGTERM stops it)");
                try
                {
                    await Task.Delay(Timeout.Infinite, limit);
                }
                catch (OperationCanceledException)
                {
                }
            }
            await guest.QuitAsync(CancellationToken.None);
            Say($"stopped job={id} pid={guest.ProcessId}");
        }
        return HostExit.Ok;
    }

    /// <summary>How often the job is asked for when the agent answers at once (an agent that does not hold requests, or --poll).</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// Waits until the job is Ready, Failed or Delivered; states and unreachability (the boot server is dirty) are
    /// reported once per change. Each request is held by the agent (<see cref="JobClient.WaitStatusAsync"/>) until the
    /// job leaves the state last seen, so Ready is learnt the moment the agent records it; with <paramref name="poll"/>
    /// the job is polled every 0.3 s instead (the comparison of docs/BENCHMARKS.md "Boot jobs").
    /// </summary>
    private static async Task<JobRecord> WaitAsync(JobClient client, string id, JobState? known, bool poll, CancellationToken limit)
    {
        JobState? last = null;
        DateTimeOffset? unreachableSince = null;
        if (known is JobState.Ready or JobState.Failed or JobState.Delivered)
            known = null; // the held submission already saw it: one plain request fetches the record
        while (true)
        {
            var asked = DateTimeOffset.UtcNow;
            try
            {
                var record = poll || known is null
                    ? await client.StatusAsync(id, limit)
                    : await client.WaitStatusAsync(id, known.Value, JobWatch.DefaultWait, limit);
                known = record.State;
                if (unreachableSince is { } since)
                {
                    Say($"reachable job={id} after_s={(DateTimeOffset.UtcNow - since).TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)}");
                    unreachableSince = null;
                }
                if (record.State != last)
                {
                    Say($"job={id} state={record.State}" + (record.Failure is null ? "" : $" failure=\"{record.Failure}\""));
                    last = record.State;
                }
                if (record.State is JobState.Ready or JobState.Failed or JobState.Delivered)
                    return record;
            }
            catch (JobTransferException e) when (e.Status is null)
            {
                // While the boot server is dirty the switch drops everything to and from it.
                if (unreachableSince is null)
                {
                    unreachableSince = DateTimeOffset.UtcNow;
                    Say($"unreachable job={id} reason=\"{e.Message}\"");
                }
            }
            // An answer that came at once did not wait (an older agent, a failed connect): do not hammer the agent.
            if (DateTimeOffset.UtcNow - asked < PollInterval)
                await Task.Delay(PollInterval - (DateTimeOffset.UtcNow - asked), limit);
        }
    }

    private static int? Counter(string? line) =>
        line is not null && Regex.Match(line, @"counter=(\d{1,9})") is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : null;

    private static IEnumerable<string> SerialTail(string path, int lines)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(Math.Max(0, stream.Length - 64 * 1024), SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n').Select(l => new string(l.TrimEnd('\r').Select(c => c is < ' ' or > '~' ? '?' : c).ToArray()))
            .Where(l => l.Length > 0).TakeLast(lines).ToList();
    }

    private static void Say(string line) => Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");

    private static async Task<int> Guard(ParseResult parse, Func<JobClient, CancellationToken, Task<int>> body)
    {
        if (!Uri.TryCreate(parse.GetValue(ServerOption), UriKind.Absolute, out var server) || server.Scheme != "http")
        {
            Console.Error.WriteLine($"error: --server '{parse.GetValue(ServerOption)}' is not an http:// URL");
            return HostExit.Usage;
        }
        IPAddress? bind = null;
        if (parse.GetValue(BindOption) is { } b && !IPAddress.TryParse(b, out bind))
        {
            Console.Error.WriteLine($"error: --bind '{b}' is not an IP address");
            return HostExit.Usage;
        }
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(parse.GetValue(TimeoutOption)));
        using var client = new JobClient(server, bind) { OnRetry = line => Say($"retry {line}") };
        try
        {
            return await body(client, limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested)
        {
            Say($"timeout after_s={parse.GetValue(TimeoutOption)}");
            return HostExit.Timeout;
        }
        catch (JobFormatException e)
        {
            Say($"refused reason=\"{e.Message}\"");
            return HostExit.Transfer;
        }
        catch (Exception e) when (e is JobTransferException or HttpRequestException or IOException)
        {
            Say($"transfer-failed reason=\"{e.Message}\"");
            return HostExit.Transfer;
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException or DirectoryNotFoundException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return HostExit.Usage;
        }
    }
}
