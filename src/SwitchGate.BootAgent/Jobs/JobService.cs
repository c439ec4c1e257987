using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Logging;
using SwitchGate.Attestation;
using SwitchGate.BootAgent.Core;
using SwitchGate.Jobs.Codec;
using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;
using SwitchGate.Jobs.Storage;

namespace SwitchGate.BootAgent.Jobs;

/// <summary>Settings of <c>switchgate-agent serve</c>.</summary>
public sealed record JobServiceOptions
{
    public TimeSpan DeliveryWindow { get; init; } = JobQueue.DefaultDeliveryWindow;

    /// <summary>How long one attestation may take after the reboot before the node reboots again.</summary>
    public TimeSpan AttestTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A job still receiving its first image this long after its creation is aborted and its files deleted.</summary>
    public TimeSpan UploadWindow { get; init; } = DefaultUploadWindow;

    /// <summary>One hour: the largest first image (1 GiB initrd + 8 GiB disk) at about 3 MiB/s.</summary>
    public static readonly TimeSpan DefaultUploadWindow = TimeSpan.FromHours(1);

    /// <summary>How often the service looks for expired uploads.</summary>
    public TimeSpan ExpiryInterval { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// The I/O shell of the boot job pipeline (docs/jobs.md): takes the active job from <see cref="JobQueue"/>, asks
/// <see cref="JobPipeline"/> for the next step, writes the record durably, then runs the step — depart and reboot
/// through <see cref="NodeControl"/>, the guest through <see cref="IGuestHypervisor"/>, the checks of the second
/// image with the strict codecs. It also answers the job API (<see cref="JobHttpApi"/>); requests only touch jobs
/// that do not own the node (Receiving, Ready), the loop only the one that does.
/// </summary>
public sealed class JobService(JobStore store, NodeControl node, IGuestHypervisor hypervisor, JobServiceOptions options, ILogger log, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly SemaphoreSlim _records = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0);
    private IBootingGuest? _guest;
    /// <summary>Completed (and replaced) after every record written: wakes the held status requests.</summary>
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private DateTimeOffset Now => _clock.GetUtcNow();

    public JobStore Store => store;

    // ---- the loop ----

    public async Task RunAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var expiry = RunExpiryAsync(stop.Token);
        try
        {
            await LoopAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await expiry.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            // SIGTERM: no guest outlives the service (its job resumes from the record at the next start).
            await StopGuestAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Aborts the expired uploads every <see cref="JobServiceOptions.ExpiryInterval"/> until <paramref name="ct"/> ends.</summary>
    public async Task RunExpiryAsync(CancellationToken ct)
    {
        while (true)
        {
            await ExpireUploadsAsync(ct).ConfigureAwait(false);
            await Task.Delay(options.ExpiryInterval, _clock, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Every job still <see cref="JobState.Receiving"/> past <see cref="JobServiceOptions.UploadWindow"/>
    /// (<see cref="JobPipeline.TryExpireUpload"/>) is recorded Failed, then its partial files are deleted. Returns their ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> ExpireUploadsAsync(CancellationToken ct)
    {
        var expired = new List<string>();
        await _records.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            foreach (var record in Usable().Where(r => r.State == JobState.Receiving))
            {
                if (!JobPipeline.TryExpireUpload(record, Now, options.UploadWindow, out var failed))
                    continue;
                // Files first: a crash between the two leaves a job Receiving without files, which the next pass
                // expires again; the other order could leave a Failed job's files on disk for good.
                store.DeleteImages(record.Id);
                store.Save(failed);
                expired.Add(record.Id);
                log.JobExpired(record.Id, failed.Failure);
            }
        }
        finally
        {
            _records.Release();
        }
        if (expired.Count > 0)
            Changed();
        return expired;
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        await StartupAsync(ct).ConfigureAwait(false);
        while (!ct.IsCancellationRequested)
        {
            var active = JobQueue.Active(Usable(), Now, options.DeliveryWindow);
            if (active is null)
            {
                if (!node.IsAttesting && !await node.IsDirtyAsync(ct).ConfigureAwait(false))
                    node.StartAttesting(restore: true);
                await _wake.WaitAsync(TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
                continue;
            }
            await DriveAsync(active, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// After a start (or a restart after SIGKILL): damaged records are refused, and a node found dirty without a job
    /// that owns it (or a record claiming a clean-mode state) is rebooted before anything else.
    /// </summary>
    private async Task StartupAsync(CancellationToken ct)
    {
        foreach (var bad in store.LoadAll().Where(j => j.Record is null))
            log.JobRefused(bad.Id, bad.Error);
        var active = JobQueue.Active(Usable(), Now, options.DeliveryWindow);
        var dirty = await node.IsDirtyAsync(ct).ConfigureAwait(false);
        var dirtyStates = active?.State is JobState.Departing or JobState.Booting or JobState.Saving or JobState.Rebooting;
        if (log.IsEnabled(LogLevel.Information))
            log.JobsStart(dirty ? "dirty" : "clean", active?.Id ?? "none", active?.State.ToString() ?? "-");
        if (dirty && !dirtyStates)
        {
            log.DirtyWithoutJob();
            await node.RebootAsync(ct).ConfigureAwait(false);
        }
        await StopStaleGuestsAsync(ct).ConfigureAwait(false);
    }

    private async Task DriveAsync(JobRecord active, CancellationToken ct)
    {
        var (record, step) = JobPipeline.Resume(active, Now);
        while (true)
        {
            await SaveAsync(record, ct).ConfigureAwait(false);
            if (step is AwaitDelivery or Finished)
                break;
            var started = Stopwatch.GetTimestamp();
            var outcome = await ExecuteAsync(record, step, ct).ConfigureAwait(false);
            if (log.IsEnabled(LogLevel.Information))
                log.JobStep(record.Id, step.GetType().Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    outcome is StepFailed f ? $"failed \"{f.Reason}\"" : "ok");
            (record, step) = JobPipeline.OnOutcome(record, outcome, Now);
        }
        if (record.State == JobState.Failed)
            store.DeleteImages(record.Id);
    }

    private async Task<StepOutcome> ExecuteAsync(JobRecord record, JobStep step, CancellationToken ct)
    {
        try
        {
            return step switch
            {
                DepartStep => await DepartAsync(ct).ConfigureAwait(false),
                BootStep boot => await BootAsync(record, boot, ct).ConfigureAwait(false),
                SaveStep => await SaveGuestAsync(record, ct).ConfigureAwait(false),
                RebootStep reboot => await RebootAsync(reboot, ct).ConfigureAwait(false),
                AttestStep => await AttestAsync(ct).ConfigureAwait(false),
                VerifyStep => Verify(record),
                _ => throw new InvalidOperationException($"unknown step {step}"),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return new StepFailed(e.Message);
        }
    }

    private async Task<StepOutcome> DepartAsync(CancellationToken ct)
    {
        var code = await node.DepartAsync(ct).ConfigureAwait(false);
        return code == ExitCodes.Ok && await node.IsDirtyAsync(ct).ConfigureAwait(false)
            ? StepOutcome.Ok
            : new StepFailed($"depart ended with exit code {code}; the node stays clean");
    }

    private async Task<StepOutcome> BootAsync(JobRecord record, BootStep step, CancellationToken ct)
    {
        // The invariant of the whole product: an untrusted guest runs only while the switch drops this node.
        if (node.IsAttesting || !await node.IsDirtyAsync(ct).ConfigureAwait(false))
            return new StepFailed("refusing to boot a guest: the node is not in dirty mode");
        await StopStaleGuestsAsync(ct).ConfigureAwait(false);
        var job = store.LoadJob(record.Id);
        var work = store.GuestDirectory(record.Id);
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);
        string? disk = null;
        if (job.Disk is not null)
        {
            // The guest writes to a copy, so a second boot attempt starts from the disk as submitted.
            disk = Path.Combine(work, "disk");
            File.Copy(store.FirstPath(record.Id, FirstImageFile.Disk), disk);
        }
        var launch = new GuestLaunch(store.FirstPath(record.Id, FirstImageFile.Kernel),
            job.Initrd is null ? null : store.FirstPath(record.Id, FirstImageFile.Initrd), disk, job.KernelCommandLine, job.MemoryMiB);
        _guest = await hypervisor.BootAsync(launch, work, ct).ConfigureAwait(false);
        await File.WriteAllTextAsync(PidFile(record.Id), _guest.ProcessId.ToString(CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        log.JobGuest(record.Id, _guest.ProcessId, _guest.Accelerator, job.MemoryMiB);
        var left = step.Deadline - Now;
        try
        {
            var line = await _guest.WaitForSerialAsync(job.BootedMarker, left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1), ct).ConfigureAwait(false);
            _bootedLine = line.Trim();
            if (log.IsEnabled(LogLevel.Information))
                log.JobBooted(record.Id, Printable(_bootedLine, 120));
            return StepOutcome.Ok;
        }
        catch (TimeoutException)
        {
            await StopGuestAsync(ct).ConfigureAwait(false);
            return new StepFailed($"the guest did not print '{job.BootedMarker}' within {record.Deadline.TotalSeconds:0} s");
        }
    }

    private string _bootedLine = "";

    private async Task<StepOutcome> SaveGuestAsync(JobRecord record, CancellationToken ct)
    {
        if (_guest is null)
            return new StepFailed("no running guest to save");
        var job = store.LoadJob(record.Id);
        var second = store.SecondDirectory(record.Id);
        if (Directory.Exists(second))
            Directory.Delete(second, recursive: true);
        Directory.CreateDirectory(second);
        await _guest.UnplugBootDevicesAsync(ct).ConfigureAwait(false);
        var statePath = store.SecondPath(record.Id, SecondImageFile.State);
        await _guest.SaveStateAsync(statePath, ct).ConfigureAwait(false);
        var accelerator = _guest.Accelerator;
        var lastLine = _guest.LastSerialLine() is { } l ? Printable(l, JobLimits.BootedLineBytes) : null;
        await StopGuestAsync(ct).ConfigureAwait(false);
        FileDigest? disk = null;
        if (job.Disk is not null)
        {
            var diskPath = store.SecondPath(record.Id, SecondImageFile.Disk);
            DurableFile.Commit(Path.Combine(store.GuestDirectory(record.Id), "disk"), diskPath);
            disk = JobStore.DigestOf(diskPath);
        }
        var manifest = new SecondImage(record.Id, JobStore.DigestOf(statePath), disk, job.Kernel.Sha256, job.Initrd?.Sha256,
            job.KernelCommandLine, job.MemoryMiB, Printable(_bootedLine, JobLimits.BootedLineBytes), accelerator, Now, lastLine);
        DurableFile.WriteAllBytes(store.SecondPath(record.Id, SecondImageFile.Manifest), JobCodec.Write(manifest));
        log.JobSaved(record.Id, manifest.State.Size);
        return StepOutcome.Ok;
    }

    private async Task<StepOutcome> RebootAsync(RebootStep step, CancellationToken ct)
    {
        if (step.Retry)
            await Task.Delay(options.RetryDelay, ct).ConfigureAwait(false);
        await StopGuestAsync(ct).ConfigureAwait(false);
        await StopStaleGuestsAsync(ct).ConfigureAwait(false);
        await node.RebootAsync(ct).ConfigureAwait(false);
        return StepOutcome.Ok;
    }

    private async Task<StepOutcome> AttestAsync(CancellationToken ct)
    {
        if (await node.IsDirtyAsync(ct).ConfigureAwait(false))
            return new StepFailed("the node is still dirty after the reboot");
        // The reboot deleted the admission, so this is HELLO(0); after an agent restart in clean mode it is a
        // renewal, which is a fresh quote as well.
        node.StartAttesting(restore: true);
        var (admitted, code) = await node.WaitAdmittedAsync(options.AttestTimeout, ct).ConfigureAwait(false);
        if (admitted)
            return StepOutcome.Ok;
        await node.StopAttestingAsync().ConfigureAwait(false);
        return new StepFailed($"not admitted (agent exit code {code})");
    }

    /// <summary>
    /// The trust boundary (docs/jobs.md): everything below was written while the node was dirty. Only the manifest
    /// and the job file are parsed (strictly, bounded); the state and disk are only measured and hashed.
    /// </summary>
    private StepOutcome Verify(JobRecord record)
    {
        if (!node.IsAdmitted)
            return new StepFailed("not admitted");
        var job = store.LoadJob(record.Id);
        var manifest = store.LoadManifest(record.Id);
        if (manifest.JobId != record.Id)
            throw new JobFormatException("second image manifest", $"belongs to job '{manifest.JobId}', not '{record.Id}'");
        if (manifest.KernelSha256 != job.Kernel.Sha256 || manifest.InitrdSha256 != job.Initrd?.Sha256
            || manifest.KernelCommandLine != job.KernelCommandLine || manifest.MemoryMiB != job.MemoryMiB)
            throw new JobFormatException("second image manifest", "describes another machine than the job (kernel, initrd, command line or memory)");
        if ((manifest.Disk is null) != (job.Disk is null))
            throw new JobFormatException("second image manifest", "disk present in one of job and manifest only");
        JobStore.Check(store.SecondPath(record.Id, SecondImageFile.State), manifest.State, "second image state");
        if (manifest.Disk is { } disk)
            JobStore.Check(store.SecondPath(record.Id, SecondImageFile.Disk), disk, "second image disk");
        return StepOutcome.Ok;
    }

    private async Task StopGuestAsync(CancellationToken ct)
    {
        if (_guest is null)
            return;
        try
        {
            await _guest.QuitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            await _guest.DisposeAsync().ConfigureAwait(false);
            _guest = null;
        }
    }

    /// <summary>
    /// A guest left by an agent that was killed: found by the pid file the agent wrote, and stopped by that pid only
    /// if the process still runs the QEMU started in that job's directory.
    /// </summary>
    private async Task StopStaleGuestsAsync(CancellationToken ct)
    {
        foreach (var job in store.LoadAll())
        {
            var pidFile = PidFile(job.Id);
            if (!File.Exists(pidFile))
                continue;
            if (int.TryParse(await File.ReadAllTextAsync(pidFile, ct).ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && (_guest is null || _guest.ProcessId != pid) && IsGuestOf(pid, store.GuestDirectory(job.Id)))
            {
                log.StaleGuest(job.Id, pid);
                using var process = Process.GetProcessById(pid);
                process.Kill();
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            if (_guest is null)
                File.Delete(pidFile);
        }
    }

    private static bool IsGuestOf(int pid, string directory)
    {
        try
        {
            var cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Split('\0').Any(a => a.Contains(directory + "/", StringComparison.Ordinal));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private string PidFile(string id) => Path.Combine(store.JobDirectory(id), "guest.pid");

    // ---- the job API (called by JobHttpApi) ----

    public async Task<JobRecord> CreateAsync(IPAddress caller, CancellationToken ct)
    {
        await _records.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var open = Usable().Count(r => r.Submitter == Caller(caller) && !r.IsTerminal);
            if (open >= JobLimits.OpenJobsPerSubmitter)
                throw new JobRequestException(429, $"{open} jobs of {Caller(caller)} are not finished yet (limit {JobLimits.OpenJobsPerSubmitter})");
            var record = store.Create(Caller(caller), Now);
            log.JobReceiving(record.Id, record.Submitter);
            return record;
        }
        finally
        {
            _records.Release();
        }
    }

    public JobRecord Status(string id, IPAddress caller) => Own(id, caller);

    /// <summary>
    /// A held status request (docs/jobs.md "Waiting for a job"): the record as soon as <see cref="JobWatch.Answers"/>
    /// says so for the state the caller last saw, or the record as it is once <paramref name="wait"/> has passed.
    /// </summary>
    public async Task<JobRecord> WaitAsync(string id, IPAddress caller, JobState since, TimeSpan wait, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(wait, _clock);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        while (true)
        {
            // Taken before the record is read, so a transition between the read and the wait still wakes it.
            var changed = Volatile.Read(ref _changed).Task;
            var record = Own(id, caller);
            if (JobWatch.Answers(since, record.State))
                return record;
            try
            {
                await changed.WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                return Own(id, caller);
            }
        }
    }

    private void Changed() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public IReadOnlyList<JobRecord> List(IPAddress caller) => Usable().Where(r => r.Submitter == Caller(caller)).ToList();

    public long Received(string id, IPAddress caller, FirstImageFile file)
    {
        var record = Own(id, caller);
        if (File.Exists(store.FirstPath(id, file)))
            return new FileInfo(store.FirstPath(id, file)).Length;
        if (record.State != JobState.Receiving)
            throw new JobRequestException(409, $"job {id} is {record.State}, not receiving files");
        var part = store.PartPath(id, file);
        return File.Exists(part) ? new FileInfo(part).Length : 0;
    }

    /// <summary>Appends an upload at <paramref name="offset"/> (must be what the agent holds), bounded by the file's limit.</summary>
    public async Task<long> AppendAsync(string id, IPAddress caller, FirstImageFile file, long offset, Stream body, CancellationToken ct)
    {
        var record = Own(id, caller);
        if (record.State != JobState.Receiving)
            throw new JobRequestException(409, $"job {id} is {record.State}, not receiving files");
        var part = store.PartPath(id, file);
        var have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (offset != have)
            throw new JobRequestException(409, $"offset {offset}, but the agent holds {have} bytes of {JobCodec.FileName(file)}");
        var max = BootJob.MaxSize(file);
        await using var output = new FileStream(part, FileMode.Append, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (output.Length + n > max)
                throw new JobRequestException(413, $"{JobCodec.FileName(file)} is larger than its limit of {max} bytes");
            await output.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
        }
        // The upload may have expired while it streamed: its record says so, and nothing it wrote may stay.
        if (Own(id, caller).State != JobState.Receiving)
        {
            await output.DisposeAsync().ConfigureAwait(false);
            if (File.Exists(part))
                File.Delete(part);
            throw new JobRequestException(409, $"job {id} is {Own(id, caller).State}, not receiving files");
        }
        return output.Length;
    }

    /// <summary>
    /// The job file: strict, and every file it names must be there with its size and SHA-256. Then the files are
    /// made durable and the job is queued.
    /// </summary>
    public async Task<JobRecord> SubmitAsync(string id, IPAddress caller, byte[] jobFile, CancellationToken ct)
    {
        await _records.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var record = Own(id, caller);
            if (record.State != JobState.Receiving)
                throw new JobRequestException(409, $"job {id} is {record.State}, already submitted");
            BootJob job;
            try
            {
                job = JobCodec.ParseJob(jobFile);
                foreach (var file in Enum.GetValues<FirstImageFile>())
                {
                    var part = store.PartPath(id, file);
                    if (job.File(file) is { } digest)
                        JobStore.Check(part, digest, $"first image {JobCodec.FileName(file)}");
                    else if (File.Exists(part))
                        throw new JobFormatException("job file", $"{JobCodec.FileName(file)} was uploaded but the job does not name it");
                }
            }
            catch (JobFormatException e)
            {
                throw new JobRequestException(400, e.Message);
            }
            foreach (var file in Enum.GetValues<FirstImageFile>().Where(f => job.File(f) is not null))
                DurableFile.Commit(store.PartPath(id, file), store.FirstPath(id, file));
            DurableFile.WriteAllBytes(store.JobFilePath(id), jobFile);
            var queued = record.Enter(JobState.Queued, Now) with { Deadline = job.Deadline };
            store.Save(queued);
            Changed();
            log.JobQueued(id, job.Kernel.Sha256[..12], job.MemoryMiB, job.Deadline.TotalSeconds);
            _wake.Release();
            return queued;
        }
        finally
        {
            _records.Release();
        }
    }

    /// <summary>The path of a second-image file, only for the submitter and only once the job is Ready.</summary>
    public string SecondFile(string id, IPAddress caller, SecondImageFile file)
    {
        var record = Own(id, caller);
        if (record.State != JobState.Ready)
            throw new JobRequestException(409, record.State == JobState.Failed
                ? $"job {id} failed: {record.Failure}" : $"job {id} is {record.State}, the second image is not ready");
        var path = store.SecondPath(id, file);
        return File.Exists(path) ? path : throw new JobRequestException(404, $"job {id} has no {JobCodec.FileName(file)}");
    }

    public async Task<JobRecord> DeliveredAsync(string id, IPAddress caller, CancellationToken ct)
    {
        await _records.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var record = Own(id, caller);
            if (!JobPipeline.TryDeliver(record, Now, out var delivered))
                throw new JobRequestException(409, $"job {id} is {record.State}, not ready");
            store.Save(delivered);
            Changed();
            store.DeleteImages(id);
            log.JobDelivered(id);
            _wake.Release();
            return delivered;
        }
        finally
        {
            _records.Release();
        }
    }

    private JobRecord Own(string id, IPAddress caller)
    {
        if (!JobCodec.IsJobId(id) || !Directory.Exists(Path.Combine(store.Root, id)))
            throw new JobRequestException(404, $"no job '{Clip(id, 64)}'");
        JobRecord record;
        try
        {
            record = store.Load(id);
        }
        catch (JobFormatException e)
        {
            throw new JobRequestException(422, e.Message);
        }
        // Jobs of two production hosts are never mixed: each sees and fetches only its own.
        return record.Submitter == Caller(caller) ? record : throw new JobRequestException(403, $"job {id} was not submitted from {Caller(caller)}");
    }

    private async Task SaveAsync(JobRecord record, CancellationToken ct)
    {
        await _records.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            store.Save(record);
            Changed();
        }
        finally
        {
            _records.Release();
        }
        log.JobTransition(record.Id, record.State,
            record.Failure is { } f ? $" failure=\"{f}\"" : record.LastError is { } e ? $" last_error=\"{e}\"" : "");
    }

    private IEnumerable<JobRecord> Usable() => store.LoadAll().Where(j => j.Record is not null).Select(j => j.Record!);

    private static string Caller(IPAddress address) => (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    private static string Clip(string s, int max) => s.Length <= max ? s : s[..max];

    /// <summary>A console line as the manifest may carry it: printable ASCII, bounded.</summary>
    private static string Printable(string s, int max) => Clip(new string(s.Trim().Select(c => c is < ' ' or > '~' ? '?' : c).ToArray()), max);
}
