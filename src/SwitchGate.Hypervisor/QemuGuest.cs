using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SwitchGate.Attestation;
using SwitchGate.Hypervisor.Qmp;
using SwitchGate.Topology;

namespace SwitchGate.Hypervisor;

/// <summary>A saved VM state: where it is, its size and SHA-256 (hex, lower case), and how long the save took.</summary>
public sealed record SavedState(string Path, long Bytes, string Sha256, TimeSpan Elapsed);

/// <summary>
/// One QEMU process running one guest: started by us, driven over QMP, stopped by its pid (QMP <c>quit</c>
/// first, SIGKILL to that pid if it lingers), never by name. The serial console goes to a log file in the
/// work directory; the QMP socket and the migration sockets live there too.
/// </summary>
public sealed class QemuGuest : IAsyncDisposable
{
    /// <summary>Time for QEMU to create its QMP socket (it does so before the guest runs).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Time for the guest to acknowledge an ACPI unplug request; a guest that ignores it cannot be saved.</summary>
    public static readonly TimeSpan UnplugTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Time for QEMU to load a state it has received in full (it reads from our socket; this is parsing only).</summary>
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Time for QEMU to exit after <c>quit</c> before it is killed.</summary>
    public static readonly TimeSpan QuitGrace = TimeSpan.FromSeconds(10);

    /// <summary>The serial log is written by the (untrusted) guest: we read at most this much of it.</summary>
    public const long MaxSerialLogBytes = 64L << 20;

    /// <summary>Longer serial lines are cut into pieces of this many bytes.</summary>
    public const int MaxSerialLineBytes = 4096;

    /// <summary>Beyond guest RAM, room for device state in a saved state file.</summary>
    public const long StateOverheadBytes = 64L << 20;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly ManagedProcess _process;
    private readonly QemuPaths _paths;
    private readonly HashSet<string> _unplugged = [];
    private readonly SemaphoreSlim _quitLock = new(1, 1);
    private bool _quit;

    private QemuGuest(ManagedProcess process, QmpClient qmp, QemuPaths paths, GuestSpec spec, DeviceProfile profile, AcceleratorChoice accelerator)
    {
        _process = process;
        Qmp = qmp;
        _paths = paths;
        Spec = spec;
        Profile = profile;
        AcceleratorChoice = accelerator;
    }

    public int ProcessId => _process.Pid;

    public Accelerator Accelerator => AcceleratorChoice.Accelerator;

    /// <summary>The accelerator and why it was chosen (for reports).</summary>
    public AcceleratorChoice AcceleratorChoice { get; }

    public string SerialLogPath => _paths.SerialLog;

    public string WorkDir => _paths.WorkDir;

    public GuestSpec Spec { get; }

    public DeviceProfile Profile { get; }

    /// <summary>The QMP connection, for commands this class does not wrap.</summary>
    public QmpClient Qmp { get; }

    /// <summary>True once QEMU has exited (quit, crashed, or refused its input).</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The largest state file a resume will read for <paramref name="spec"/> (its RAM plus device state).</summary>
    public static long MaxStateBytes(GuestSpec spec) => ((long)spec.MemoryMiB << 20) + StateOverheadBytes;

    /// <summary>Starts QEMU with <paramref name="profile"/>'s devices and negotiates QMP; the guest starts running at once.</summary>
    public static Task<QemuGuest> BootAsync(GuestSpec spec, DeviceProfile profile, string workDir, CancellationToken ct) =>
        StartAsync(spec, profile, workDir, stateFile: null, ct);

    /// <summary>
    /// Starts QEMU waiting for an incoming migration, streams <paramref name="stateFile"/> into it, waits until
    /// the state is loaded and sends <c>cont</c>. A state QEMU refuses (truncated, corrupted, for another machine)
    /// is a <see cref="QemuException"/> quoting QEMU, and no process is left behind.
    /// </summary>
    public static Task<QemuGuest> ResumeAsync(GuestSpec spec, DeviceProfile profile, string stateFile, string workDir, CancellationToken ct) =>
        StartAsync(spec, profile, workDir, stateFile ?? throw new ArgumentNullException(nameof(stateFile)), ct);

    /// <summary><see cref="ResumeAsync(GuestSpec, DeviceProfile, string, string, CancellationToken)"/> with the production device set.</summary>
    public static Task<QemuGuest> ResumeAsync(GuestSpec spec, string stateFile, string workDir, CancellationToken ct) =>
        ResumeAsync(spec, DeviceProfile.ProductionMinimal, stateFile, workDir, ct);

    private static async Task<QemuGuest> StartAsync(GuestSpec spec, DeviceProfile profile, string workDir, string? stateFile, CancellationToken ct)
    {
        spec.Validated();
        var paths = QemuPaths.For(workDir);
        long stateBytes = 0;
        if (stateFile is not null)
        {
            var info = new FileInfo(stateFile);
            if (!info.Exists) throw new QemuException($"no saved state at {stateFile}");
            stateBytes = info.Length;
            if (stateBytes == 0 || stateBytes > MaxStateBytes(spec))
                throw new QemuException($"saved state {stateFile} is {stateBytes} bytes; a {spec.MemoryMiB} MiB guest's state is 1..{MaxStateBytes(spec)} bytes");
        }
        Directory.CreateDirectory(paths.WorkDir);
        foreach (var stale in new[] { paths.QmpSocket, paths.IncomingSocket, paths.OutgoingSocket, paths.SerialLog })
            File.Delete(stale);

        var accelerator = await AcceleratorProbe.ProbeAsync().WaitAsync(ct).ConfigureAwait(false);
        var args = QemuCommandLine.Build(spec, profile, accelerator.Accelerator, paths, incoming: stateFile is not null);
        var process = ManagedProcess.Start(QemuCommandLine.Binary, args, new Dictionary<string, string> { ["LC_ALL"] = "C" });
        QmpClient? qmp = null;
        try
        {
            qmp = await ConnectWhenReadyAsync(process, paths.QmpSocket, "QMP", ct).ConfigureAwait(false);
            var guest = new QemuGuest(process, qmp, paths, spec, profile, accelerator);
            if (stateFile is not null)
                await guest.LoadStateAsync(stateFile, stateBytes, ct).ConfigureAwait(false);
            return guest;
        }
        catch
        {
            if (qmp is not null) await qmp.DisposeAsync().ConfigureAwait(false);
            await process.StopAsync("KILL").ConfigureAwait(false);
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<QmpClient> ConnectWhenReadyAsync(ManagedProcess process, string socket, string what, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited) throw await ExitedAsync(process, $"at start, before its {what} socket was ready").ConfigureAwait(false);
            if (File.Exists(socket))
            {
                try
                {
                    return await QmpClient.ConnectAsync(socket, ct).ConfigureAwait(false);
                }
                catch (SocketException) when (deadline.Elapsed < StartTimeout)
                {
                    // The socket file exists a moment before QEMU listens on it.
                }
            }
            if (deadline.Elapsed > StartTimeout)
                throw new QemuException($"QEMU (pid {process.Pid}) did not open its {what} socket within {StartTimeout.TotalSeconds:0} s");
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    private async Task LoadStateAsync(string stateFile, long stateBytes, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        while (true)
        {
            if (_process.HasExited) throw await ExitedAsync(_process, "before it accepted the saved state").ConfigureAwait(false);
            if (File.Exists(_paths.IncomingSocket))
            {
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(_paths.IncomingSocket), ct).ConfigureAwait(false);
                    break;
                }
                catch (SocketException) when (deadline.Elapsed < StartTimeout)
                {
                    // Not listening yet.
                }
            }
            if (deadline.Elapsed > StartTimeout)
                throw new QemuException($"QEMU (pid {ProcessId}) did not open its incoming migration socket within {StartTimeout.TotalSeconds:0} s");
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }

        try
        {
            await using var file = new FileStream(stateFile, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            await using var stream = new NetworkStream(socket, ownsSocket: false);
            var buffer = new byte[1 << 20];
            long sent = 0;
            int read;
            // Read no more than the size checked before starting, even if the file grows meanwhile.
            while (sent < stateBytes && (read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, stateBytes - sent)), ct).ConfigureAwait(false)) > 0)
            {
                await stream.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                sent += read;
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            // QEMU closes the stream when it refuses the state part-way; its own message follows from the exit below.
        }

        string status;
        deadline.Restart();
        while ((status = await StatusOrExitAsync("while loading the saved state", ct).ConfigureAwait(false)) == "inmigrate")
        {
            if (deadline.Elapsed > LoadTimeout)
                throw new QemuException($"QEMU (pid {ProcessId}) was still loading the saved state after {LoadTimeout.TotalSeconds:0} s");
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
        if (status != "running")
            await Qmp.ExecuteAsync("cont", null, ct).ConfigureAwait(false);
        status = await StatusOrExitAsync("after cont", ct).ConfigureAwait(false);
        if (status != "running")
            throw new QemuException($"the resumed guest is '{status}', not running, after cont");
    }

    /// <summary>query-status, or — when QEMU has gone away — a <see cref="QemuException"/> quoting why it exited.</summary>
    private async Task<string> StatusOrExitAsync(string when, CancellationToken ct)
    {
        try
        {
            return await QueryStatusAsync(ct).ConfigureAwait(false);
        }
        catch (QmpException e) when (e.Failure == QmpFailure.Closed)
        {
            await _process.WaitForExitAsync(QuitGrace, ct).ConfigureAwait(false);
            throw await ExitedAsync(_process, when).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for the first serial line containing <paramref name="marker"/> and returns it (<see cref="TimeoutException"/> on the deadline).</summary>
    public Task<string> WaitForSerialAsync(string marker, TimeSpan timeout, CancellationToken ct) =>
        WaitForSerialAsync(line => line.Contains(marker, StringComparison.Ordinal), $"'{marker}'", timeout, ct);

    /// <summary>Waits for the first serial line (from the start of the log) that <paramref name="match"/> accepts.</summary>
    public async Task<string> WaitForSerialAsync(Func<string, bool> match, string description, TimeSpan timeout, CancellationToken ct)
    {
        var reader = new SerialLogReader(_paths.SerialLog);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            // Check the exit before reading, so the last lines before an exit are still seen.
            var exited = _process.HasExited;
            foreach (var line in reader.ReadNewLines())
                if (match(line)) return line;
            if (exited) throw await ExitedAsync(_process, $"before the guest printed {description}").ConfigureAwait(false);
            if (deadline.Elapsed > timeout)
                throw new TimeoutException($"the guest printed no line matching {description} within {timeout.TotalSeconds:0.#} s" +
                    (LastSerialLine() is { } last ? $" (last console line: {Shown(last)})" : " (nothing on its console)"));
            await Task.Delay(PollInterval * 5, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The last complete line on the serial console, or null: read from the log's last
    /// <see cref="MaxSerialLineBytes"/> bytes only (the guest wrote it; it is for showing, not for parsing).
    /// </summary>
    public string? LastSerialLine()
    {
        if (!File.Exists(_paths.SerialLog)) return null;
        using var file = new FileStream(_paths.SerialLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = file.Length;
        var take = (int)Math.Min(length, MaxSerialLineBytes);
        file.Seek(length - take, SeekOrigin.Begin);
        var tail = new byte[take];
        file.ReadExactly(tail);
        var end = Array.LastIndexOf(tail, (byte)'\n');
        if (end < 0) return null;
        var start = end == 0 ? -1 : Array.LastIndexOf(tail, (byte)'\n', end - 1);
        // With no earlier line end in the window, the line may have begun before it: show only a whole line.
        if (start < 0 && take < length) return null;
        return Encoding.UTF8.GetString(tail, start + 1, end - start - 1).TrimEnd('\r');
    }

    /// <summary>All serial lines so far (bounded by <see cref="MaxSerialLogBytes"/>).</summary>
    public IReadOnlyList<string> ReadSerialLines() => new SerialLogReader(_paths.SerialLog).ReadNewLines();

    /// <summary>
    /// Hot-unplugs every boot-only device of the profile: <c>device_del</c>, then wait for its DEVICE_DELETED
    /// (the guest acknowledged the ACPI eject), then drop a disk's block node. Checks with query-pci that none
    /// is left. A no-op for <see cref="DeviceProfile.ProductionMinimal"/>.
    /// </summary>
    public async Task UnplugBootDevicesAsync(CancellationToken ct)
    {
        foreach (var id in DeviceProfiles.BootOnlyDevices(Profile, Spec))
        {
            if (_unplugged.Contains(id)) continue;
            var mark = Qmp.EventMark;
            await Qmp.ExecuteAsync("device_del", new JsonObject { ["id"] = id }, ct).ConfigureAwait(false);
            try
            {
                await Qmp.WaitForEventAsync("DEVICE_DELETED", e => e.DataString("device") == id, mark, UnplugTimeout, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new QemuException($"the guest did not release device '{id}' within {UnplugTimeout.TotalSeconds:0} s (ACPI unplug not acknowledged); its state cannot be saved for the production side");
            }
            if (id == DeviceProfiles.BootMediaId)
                await Qmp.ExecuteAsync("blockdev-del", new JsonObject { ["node-name"] = QemuCommandLine.NodeName(id) }, ct).ConfigureAwait(false);
            _unplugged.Add(id);
        }
        var left = (await QueryPciDeviceIdsAsync(ct).ConfigureAwait(false)).Intersect(DeviceProfiles.BootOnlyDevices(Profile, Spec)).ToArray();
        if (left.Length > 0)
            throw new QemuException($"boot-only devices still present after unplug: {string.Join(", ", left)}");
    }

    /// <summary>The qdev ids of the PCI devices on the machine's buses (devices QEMU created itself have none).</summary>
    public async Task<IReadOnlyList<string>> QueryPciDeviceIdsAsync(CancellationToken ct) =>
        PciDevices(await Qmp.ExecuteAsync("query-pci", null, ct).ConfigureAwait(false))
            .Select(d => d.TryGetProperty("qdev_id", out var q) && q.ValueKind == JsonValueKind.String ? q.GetString()! : "")
            .Where(id => id.Length > 0)
            .ToArray();

    /// <summary>How many PCI functions the machine has (what the guest sees in /sys/bus/pci/devices).</summary>
    public async Task<int> QueryPciDeviceCountAsync(CancellationToken ct) =>
        PciDevices(await Qmp.ExecuteAsync("query-pci", null, ct).ConfigureAwait(false)).Count();

    private static IEnumerable<JsonElement> PciDevices(JsonElement reply)
    {
        if (reply.ValueKind != JsonValueKind.Array) throw new QmpException(QmpFailure.Malformed, "query-pci did not return an array");
        foreach (var bus in reply.EnumerateArray())
        {
            if (bus.ValueKind != JsonValueKind.Object || !bus.TryGetProperty("devices", out var devices) || devices.ValueKind != JsonValueKind.Array)
                throw new QmpException(QmpFailure.Malformed, "query-pci bus without a devices array");
            foreach (var device in devices.EnumerateArray())
                yield return device;
        }
    }

    /// <summary>
    /// Pauses the guest (<c>stop</c>) and migrates its state into <paramref name="stateFile"/>: QEMU connects to a
    /// Unix socket we listen on and we write what it sends (<see cref="DurableFile"/>: temp file, fsync, rename), hashing as we go, until the
    /// stream ends and query-migrate says <c>completed</c>. The guest stays paused; call <see cref="QuitAsync"/> next.
    /// </summary>
    public async Task<SavedState> SaveStateAsync(string stateFile, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var target = Path.GetFullPath(stateFile);
        var temp = DurableFile.TempPathFor(target);
        if (await QueryStatusAsync(ct).ConfigureAwait(false) == "running")
            await Qmp.ExecuteAsync("stop", null, ct).ConfigureAwait(false);
        // The default bandwidth cap (128 MiB/s) is for live migration over a shared network; a paused guest into a
        // local file should go as fast as the disk takes it.
        await Qmp.ExecuteAsync("migrate-set-parameters", new JsonObject { ["max-bandwidth"] = 64L << 30 }, ct).ConfigureAwait(false);

        File.Delete(_paths.OutgoingSocket);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(_paths.OutgoingSocket));
        listener.Listen(1);
        long bytes = 0;
        string sha256;
        try
        {
            await Qmp.ExecuteAsync("migrate", new JsonObject { ["uri"] = "unix:" + _paths.OutgoingSocket }, ct).ConfigureAwait(false);
            using var accept = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var connecting = listener.AcceptAsync(accept.Token).AsTask();
            var waited = Stopwatch.StartNew();
            // A migration that fails before it connects (e.g. QEMU cannot reach the socket) says so in query-migrate.
            while (!connecting.IsCompleted)
            {
                var status = MigrationStatus(await Qmp.ExecuteAsync("query-migrate", null, ct).ConfigureAwait(false), out var error);
                if (status is "failed" or "cancelled" || waited.Elapsed > StartTimeout)
                {
                    accept.Cancel();
                    throw new QemuException($"QEMU did not connect to the migration socket ({status ?? "no status"} after {waited.Elapsed.TotalSeconds:0.#} s): {error}");
                }
                await Task.WhenAny(connecting, Task.Delay(PollInterval, ct)).ConfigureAwait(false);
            }
            var connection = await connecting.ConfigureAwait(false);
            using (connection)
            await using (var stream = new NetworkStream(connection, ownsSocket: false))
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                var limit = MaxStateBytes(Spec);
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    bytes += read;
                    if (bytes > limit)
                        throw new QemuException($"the migration stream exceeds {limit} bytes for a {Spec.MemoryMiB} MiB guest");
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            }

            while (true)
            {
                var status = MigrationStatus(await Qmp.ExecuteAsync("query-migrate", null, ct).ConfigureAwait(false), out var error);
                if (status == "completed") break;
                if (status is "failed" or "cancelled" or null)
                    throw new QemuException($"migration to {target} {status ?? "has no status"}: {error}");
                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
            DurableFile.Commit(temp, target);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
        finally
        {
            File.Delete(_paths.OutgoingSocket);
        }
        return new SavedState(target, bytes, sha256, watch.Elapsed);
    }

    /// <summary>query-migrate's <c>status</c> (null when absent) and its <c>error-desc</c>.</summary>
    private static string? MigrationStatus(JsonElement info, out string error)
    {
        var isObject = info.ValueKind == JsonValueKind.Object;
        error = isObject && info.TryGetProperty("error-desc", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "no error description";
        return isObject && info.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
    }

    /// <summary>QEMU's run state: "running", "paused", "inmigrate", "postmigrate", "shutdown", ...</summary>
    public async Task<string> QueryStatusAsync(CancellationToken ct)
    {
        var reply = await Qmp.ExecuteAsync("query-status", null, ct).ConfigureAwait(false);
        return reply.ValueKind == JsonValueKind.Object && reply.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.String
            ? s.GetString()!
            : throw new QmpException(QmpFailure.Malformed, "query-status without a status string");
    }

    /// <summary>Asks QEMU to quit over QMP, waits for its pid to exit, kills that pid if it lingers. Idempotent.</summary>
    public async Task QuitAsync(CancellationToken ct)
    {
        await _quitLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_quit) return;
            if (!_process.HasExited)
            {
                try
                {
                    await Qmp.ExecuteAsync("quit", null, ct).ConfigureAwait(false);
                }
                catch (QmpException)
                {
                    // Already gone or going: QEMU may close the connection before it answers.
                }
                if (!await _process.WaitForExitAsync(QuitGrace, ct).ConfigureAwait(false))
                    await _process.StopAsync("KILL").ConfigureAwait(false);
            }
            await Qmp.DisposeAsync().ConfigureAwait(false);
            await _process.DisposeAsync().ConfigureAwait(false);
            foreach (var socket in new[] { _paths.QmpSocket, _paths.IncomingSocket, _paths.OutgoingSocket })
                File.Delete(socket);
            _quit = true;
        }
        finally
        {
            _quitLock.Release();
        }
    }

    /// <summary>Quits (see <see cref="QuitAsync"/>); safe to call more than once.</summary>
    public async ValueTask DisposeAsync() => await QuitAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>A guest-written line for a message: at most 200 characters, control characters escaped.</summary>
    private static string Shown(string line)
    {
        var cut = line.Length > 200 ? line[..200] + "…" : line;
        return "'" + string.Concat(cut.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString())) + "'";
    }

    private static async Task<QemuException> ExitedAsync(ManagedProcess process, string when)
    {
        // The exit can be seen before QEMU's last words on stderr are read: let the readers finish first
        // (StopAsync sends nothing to a process that has exited).
        if (process.HasExited) await process.StopAsync().ConfigureAwait(false);
        var output = string.Join("\n", process.Lines.TakeLast(10)).Trim();
        var code = process.ExitCode is { } c ? $"exit code {c}" : "no exit code yet";
        return new QemuException($"QEMU (pid {process.Pid}) exited {when} ({code}){(output.Length > 0 ? ": " + output : "")}");
    }

    /// <summary>Reads the serial log incrementally, in bounded lines, never more than <see cref="MaxSerialLogBytes"/> in all.</summary>
    private sealed class SerialLogReader(string path)
    {
        private long _offset;
        private readonly List<byte> _partial = [];

        public IReadOnlyList<string> ReadNewLines()
        {
            var lines = new List<string>();
            if (!File.Exists(path)) return lines;
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (file.Length > MaxSerialLogBytes)
                throw new QemuException($"the guest wrote more than {MaxSerialLogBytes} bytes to its serial console ({path})");
            file.Seek(_offset, SeekOrigin.Begin);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = file.Read(buffer)) > 0)
            {
                _offset += read;
                foreach (var b in buffer.AsSpan(0, read))
                {
                    if (b == '\n' || _partial.Count >= MaxSerialLineBytes)
                    {
                        lines.Add(Decode());
                        if (b == '\n') continue;
                    }
                    _partial.Add(b);
                }
            }
            return lines;
        }

        private string Decode()
        {
            var line = Encoding.UTF8.GetString(_partial.ToArray()).TrimEnd('\r');
            _partial.Clear();
            return line;
        }
    }
}
