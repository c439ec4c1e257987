using System.Text.Json;
using SwitchGate.Attestation;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate.Audit;

/// <summary>
/// The append-only audit log: one JSON object per line (docs/gate.md "Audit log"). <see cref="Append"/>
/// writes the lines to the file with write(2) before returning, so a killed controller loses none; with
/// <c>syncEveryAppend</c> (the default) it also fsyncs before returning, so a power loss loses none either.
/// Without it a background loop fsyncs whatever was appended (about 4 ms per fsync on the test machine; a
/// power loss may then lose the last few milliseconds). Callers append before they act (before a VERDICT is
/// sent). Thread-safe.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly FileStream _stream;
    private readonly object _lock = new();
    private readonly bool _syncEveryAppend;
    private readonly SemaphoreSlim _unsynced = new(0, 1);
    private readonly Task? _syncLoop;
    private bool _disposed;

    public AuditLog(string path, bool syncEveryAppend = true)
    {
        _syncEveryAppend = syncEveryAppend;
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException("the audit log path is not set", nameof(path));
        Path = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(Path)!;
        System.IO.Directory.CreateDirectory(directory);
        bool created = !File.Exists(Path);
        // FileMode.Append: every write goes to the end, nothing earlier is ever rewritten.
        _stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0);
        if (created)
            DurableFile.SyncDirectory(directory);
        if (!syncEveryAppend)
            _syncLoop = Task.Run(SyncLoopAsync);
    }

    public string Path { get; }

    public long Entries { get; private set; }

    public void Append(AuditEntry entry) => Append([entry]);

    /// <summary>Appends the entries in order with one write and one fsync.</summary>
    public void Append(IReadOnlyList<AuditEntry> entries)
    {
        if (entries.Count == 0)
            return;
        var buffer = new MemoryStream();
        foreach (var entry in entries)
        {
            buffer.Write(Serialize(entry));
            buffer.WriteByte((byte)'\n');
        }
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            if (_syncEveryAppend)
                _stream.Flush(flushToDisk: true);
            Entries += entries.Count;
        }
        if (!_syncEveryAppend && _unsynced.CurrentCount == 0)
        {
            try
            {
                _unsynced.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another append signalled first; one fsync covers both.
            }
        }
    }

    private async Task SyncLoopAsync()
    {
        while (true)
        {
            await _unsynced.WaitAsync().ConfigureAwait(false);
            lock (_lock)
            {
                if (_disposed)
                    return;
                _stream.Flush(flushToDisk: true);
            }
        }
    }

    /// <summary>One line: time, event, then only the fields that are set; reason codes by name and number.</summary>
    public static byte[] Serialize(AuditEntry e)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("time", e.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"));
            w.WriteString("event", e.Event);
            if (e.Node is not null) w.WriteString("node", e.Node);
            if (e.DatapathId is { } dpid) w.WriteString("datapath_id", $"0x{dpid:x16}");
            if (e.Port is { } port) w.WriteNumber("port", port);
            if (e.Session is { } session) w.WriteString("session", $"{session:X16}");
            if (e.Verdict is { } verdict) w.WriteString("verdict", verdict.ToString().ToLowerInvariant());
            if (e.Reason is { } reason) Code(w, "reason", reason);
            if (e.Cause is { } cause) Code(w, "cause", cause);
            if (e.LeaseSeconds is { } lease) w.WriteNumber("lease_seconds", lease);
            if (e.Confirmed is { } confirmed) w.WriteBoolean("confirmed", confirmed);
            if (e.Count is { } count) w.WriteNumber("count", count);
            if (e.Since is { } since) w.WriteString("since", since.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"));
            if (e.Detail is not null) w.WriteString("detail", e.Detail);
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    private static void Code(Utf8JsonWriter w, string name, ReasonCode code)
    {
        w.WriteString(name, code.ToString());
        w.WriteString(name + "_code", $"0x{(ushort)code:X4}");
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
        }
        if (_syncLoop is not null)
        {
            try
            {
                _unsynced.Release();
            }
            catch (SemaphoreFullException)
            {
            }
            _syncLoop.Wait();
        }
    }
}
