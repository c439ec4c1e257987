using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SwitchGate.Gate.Audit;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Operations.Store;

/// <summary>The store cannot be used: missing, not a SwitchGate store, corrupt, or of a newer schema. The message says which and what to do.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One record of the event stream, as committed: <see cref="Sequence"/> grows by one per event, without gaps.</summary>
public sealed record StoredEvent(long Sequence, DateTimeOffset Time, string Type, string Data);

/// <summary>One audit record as stored (its <see cref="Json"/> is the audit log's line for it).</summary>
public sealed record AuditRow(long Id, DateTimeOffset Time, string Event, string? Node, string? Verdict, string? Reason, string Json);

/// <summary>A switch event to record in the stream (not audited): connect, disconnect, port change.</summary>
public sealed record SwitchEvent(DateTimeOffset Time, string Type, string Data);

/// <summary>
/// The durable store (docs/operations.md "Durable store"): the audit trail (every verdict, failed install and
/// enrolment change) and the event stream, in one SQLite database in WAL mode with synchronous=FULL, so that a
/// committed transaction survives SIGKILL and power loss.
///
/// One writer task owns the write connection and commits in order. Whatever is queued when it wakes goes into one
/// transaction (group commit: one fsync for a burst), and each caller's task completes only after that commit —
/// the gate sends a VERDICT only then (<see cref="IAuditSink"/>). Callers never wait on the writer's thread, so
/// a switch session's reader only queues. Readers use their own connections (WAL lets them read while it writes).
///
/// The database is created only by <see cref="Create"/> (<c>switchgate controller store init</c>): a missing or
/// corrupt file, or one of a newer schema, is a <see cref="StoreException"/>, never a silent new empty store.
/// </summary>
public sealed class OperationsStore : IAuditSink, IAsyncDisposable
{
    /// <summary>The schema this code writes (PRAGMA user_version). Older stores are migrated at open.</summary>
    public const int SchemaVersion = 1;

    /// <summary>Schema steps: index i brings a store from version i to i + 1, inside one transaction.</summary>
    private static readonly string[][] Migrations =
    [
        [
            """
            CREATE TABLE audit(
                id INTEGER PRIMARY KEY,
                time_us INTEGER NOT NULL,
                event TEXT NOT NULL,
                node TEXT,
                verdict TEXT,
                reason TEXT,
                json TEXT NOT NULL)
            """,
            "CREATE INDEX audit_node_time ON audit(node, time_us)",
            "CREATE INDEX audit_time ON audit(time_us)",
            "CREATE TABLE events(seq INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL)",
        ],
    ];

    /// <summary>Application id in the SQLite header (PRAGMA application_id): "SGOP", so another program's database is recognised as such.</summary>
    private const int ApplicationId = 0x53474F50;

    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writerLoop;
    private readonly TimeSpan _groupWindow;
    private readonly ILogger? _log;
    private long _lastSequence;
    private long _commits;
    private long _records;

    private OperationsStore(string path, SqliteConnection writer, TimeSpan groupWindow, ILogger? log)
    {
        Path = path;
        _connectionString = ConnectionString(path, SqliteOpenMode.ReadOnly);
        _writer = writer;
        _groupWindow = groupWindow;
        _log = log;
        using (var command = writer.CreateCommand())
        {
            command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM events";
            _lastSequence = (long)command.ExecuteScalar()!;
        }
        _writerLoop = Task.Run(WriterLoopAsync);
    }

    public string Path { get; }

    /// <summary>The sequence number of the last committed event (0: none yet).</summary>
    public long LastSequence => Interlocked.Read(ref _lastSequence);

    /// <summary>Commits so far and records in them (their ratio is the group-commit factor).</summary>
    public (long Commits, long Records) WriterStats => (Interlocked.Read(ref _commits), Interlocked.Read(ref _records));

    /// <summary>Raised on the writer task after each commit with its events, in sequence order.</summary>
    public event Action<IReadOnlyList<StoredEvent>>? Committed;

    /// <summary>Raised on the writer task with the seconds each commit took (for the audit write latency metric).</summary>
    public event Action<double>? CommitTimed;

    private static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
    }.ToString();

    /// <summary>Creates a new store with the current schema; refuses an existing file.</summary>
    public static void Create(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full))
            throw new StoreException($"store.database: '{full}' already exists; refusing to overwrite it");
        var directory = System.IO.Path.GetDirectoryName(full)!;
        if (!Directory.Exists(directory))
            throw new StoreException($"store.database: directory '{directory}' does not exist");
        using (var connection = new SqliteConnection(ConnectionString(full, SqliteOpenMode.ReadWriteCreate)))
        {
            connection.Open();
            Execute(connection, "PRAGMA journal_mode=WAL");
            Execute(connection, $"PRAGMA application_id={ApplicationId}");
            Migrate(connection, 0);
        }
        Attestation.DurableFile.SyncDirectory(directory);
    }

    /// <summary>Opens an existing store, checks it and migrates an older schema. Throws <see cref="StoreException"/> saying what is wrong.</summary>
    public static OperationsStore Open(string path, TimeSpan groupWindow = default, ILogger? log = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new StoreException($"store.database: '{full}' does not exist; create it with 'switchgate controller store init --database {full}' (never created implicitly, so a wrong path cannot start an empty history)");
        var connection = new SqliteConnection(ConnectionString(full, SqliteOpenMode.ReadWrite));
        try
        {
            connection.Open();
            int applicationId = Convert.ToInt32(Scalar(connection, "PRAGMA application_id"));
            if (applicationId != ApplicationId)
                throw new StoreException($"store.database: '{full}' is not a SwitchGate store (application_id 0x{applicationId:X8})");
            var check = Convert.ToString(Scalar(connection, "PRAGMA quick_check"));
            if (check != "ok")
                throw new StoreException($"store.database: '{full}' is corrupt: {check}");
            int version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version"));
            if (version > SchemaVersion)
                throw new StoreException($"store.database: '{full}' has schema version {version}, newer than this controller's {SchemaVersion}");
            Execute(connection, "PRAGMA journal_mode=WAL");
            // FULL: in WAL mode every commit fsyncs the WAL, so an acknowledged record survives a power loss too.
            Execute(connection, "PRAGMA synchronous=FULL");
            Execute(connection, "PRAGMA busy_timeout=5000");
            if (version < SchemaVersion)
            {
                log?.StoreMigrating(full, version, SchemaVersion);
                Migrate(connection, version);
            }
            return new OperationsStore(full, connection, groupWindow, log);
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new StoreException($"store.database: '{full}' cannot be used: {e.Message}", e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Migrate(SqliteConnection connection, int from)
    {
        using var transaction = connection.BeginTransaction();
        for (int version = from; version < SchemaVersion; version++)
        {
            foreach (var sql in Migrations[version])
                Execute(connection, sql, transaction);
            Execute(connection, $"PRAGMA user_version={version + 1}", transaction);
        }
        transaction.Commit();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    // ---------------------------------------------------------------- writing

    private sealed record Pending(IReadOnlyList<AuditEntry>? Audit, SwitchEvent? Switch, TaskCompletionSource Done);

    /// <summary>Completes once the entries (and their events) are committed. In order of calls; faults if the commit failed.</summary>
    public ValueTask WriteAsync(IReadOnlyList<AuditEntry> entries) => Enqueue(new Pending(entries, null, NewDone()));

    /// <summary>Records a switch event in the stream; completes once committed.</summary>
    public ValueTask AppendAsync(SwitchEvent e) => Enqueue(new Pending(null, e, NewDone()));

    private static TaskCompletionSource NewDone() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ValueTask Enqueue(Pending pending)
    {
        if (!_queue.Writer.TryWrite(pending))
            return ValueTask.FromException(new StoreException("the store is closed"));
        return new ValueTask(pending.Done.Task);
    }

    private async Task WriterLoopAsync()
    {
        var batch = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            if (_groupWindow > TimeSpan.Zero)
                await Task.Delay(_groupWindow).ConfigureAwait(false);
            batch.Clear();
            while (batch.Count < 4096 && _queue.Reader.TryRead(out var item))
                batch.Add(item);
            if (batch.Count == 0)
                continue;
            long started = Stopwatch.GetTimestamp();
            List<StoredEvent> events;
            try
            {
                events = Commit(batch);
            }
            catch (Exception e)
            {
                _log?.StoreCommitFailed(batch.Count, e.Message);
                foreach (var p in batch)
                    p.Done.TrySetException(new StoreException($"store commit failed: {e.Message}", e));
                continue;
            }
            CommitTimed?.Invoke(Stopwatch.GetElapsedTime(started).TotalSeconds);
            Interlocked.Increment(ref _commits);
            Interlocked.Add(ref _records, batch.Count);
            Volatile.Write(ref _lastSequence, events.Count > 0 ? events[^1].Sequence : _lastSequence);
            try
            {
                Committed?.Invoke(events);
            }
            catch (Exception e)
            {
                _log?.StoreSubscriberFailed(e);
            }
            foreach (var p in batch)
                p.Done.TrySetResult();
        }
    }

    private List<StoredEvent> Commit(List<Pending> batch)
    {
        var events = new List<StoredEvent>();
        long seq = _lastSequence;
        using var transaction = _writer.BeginTransaction();
        using var audit = _writer.CreateCommand();
        audit.Transaction = transaction;
        audit.CommandText = "INSERT INTO audit(time_us, event, node, verdict, reason, json) VALUES ($t, $e, $n, $v, $r, $j)";
        var aTime = audit.Parameters.Add("$t", SqliteType.Integer);
        var aEvent = audit.Parameters.Add("$e", SqliteType.Text);
        var aNode = audit.Parameters.Add("$n", SqliteType.Text);
        var aVerdict = audit.Parameters.Add("$v", SqliteType.Text);
        var aReason = audit.Parameters.Add("$r", SqliteType.Text);
        var aJson = audit.Parameters.Add("$j", SqliteType.Text);
        using var ev = _writer.CreateCommand();
        ev.Transaction = transaction;
        ev.CommandText = "INSERT INTO events(seq, time_us, type, data) VALUES ($s, $t, $y, $d)";
        var eSeq = ev.Parameters.Add("$s", SqliteType.Integer);
        var eTime = ev.Parameters.Add("$t", SqliteType.Integer);
        var eType = ev.Parameters.Add("$y", SqliteType.Text);
        var eData = ev.Parameters.Add("$d", SqliteType.Text);

        void AddEvent(DateTimeOffset time, string type, string data)
        {
            seq++;
            eSeq.Value = seq;
            eTime.Value = ToMicros(time);
            eType.Value = type;
            eData.Value = data;
            ev.ExecuteNonQuery();
            events.Add(new StoredEvent(seq, time, type, data));
        }

        foreach (var pending in batch)
        {
            if (pending.Audit is { } entries)
            {
                foreach (var entry in entries)
                {
                    var json = System.Text.Encoding.UTF8.GetString(AuditLog.Serialize(entry));
                    aTime.Value = ToMicros(entry.Time);
                    aEvent.Value = entry.Event;
                    aNode.Value = (object?)entry.Node ?? DBNull.Value;
                    aVerdict.Value = entry.Verdict is { } v ? v.ToString().ToLowerInvariant() : DBNull.Value;
                    aReason.Value = entry.Reason is { } r ? r.ToString() : DBNull.Value;
                    aJson.Value = json;
                    audit.ExecuteNonQuery();
                    AddEvent(entry.Time, EventTypeOf(entry), json);
                }
            }
            else if (pending.Switch is { } s)
            {
                AddEvent(s.Time, s.Type, s.Data);
            }
        }
        transaction.Commit();
        return events;
    }

    /// <summary>The stream's type of an audit entry: admission, denial, revocation, or the audit event's own name.</summary>
    public static string EventTypeOf(AuditEntry entry) => entry.Event == "verdict"
        ? entry.Verdict switch
        {
            Attestation.VerdictKind.Admitted => "admission",
            Attestation.VerdictKind.Denied => "denial",
            _ => "revocation",
        }
        : entry.Event;

    public static long ToMicros(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromMicros(long micros) => new(DateTimeOffset.UnixEpoch.UtcTicks + micros * 10, TimeSpan.Zero);

    // ---------------------------------------------------------------- reading

    private SqliteConnection Reader()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>
    /// Audit records, oldest first, filtered by node and time, paged by id: the next page starts after the last id
    /// returned. <paramref name="verdictsOnly"/> keeps only verdicts (the admissions history is those of a node).
    /// </summary>
    public IReadOnlyList<AuditRow> Audit(string? node = null, DateTimeOffset? since = null, DateTimeOffset? until = null,
        long afterId = 0, int limit = 100, IReadOnlyCollection<string>? verdicts = null)
    {
        using var connection = Reader();
        using var command = connection.CreateCommand();
        var where = new List<string> { "id > $after" };
        command.Parameters.AddWithValue("$after", afterId);
        if (node is not null)
        {
            where.Add("node = $node");
            command.Parameters.AddWithValue("$node", node);
        }
        if (since is { } s)
        {
            where.Add("time_us >= $since");
            command.Parameters.AddWithValue("$since", ToMicros(s));
        }
        if (until is { } u)
        {
            where.Add("time_us < $until");
            command.Parameters.AddWithValue("$until", ToMicros(u));
        }
        if (verdicts is { Count: > 0 })
        {
            var names = verdicts.Select((v, i) => (Name: $"$v{i}", Value: v)).ToList();
            where.Add($"verdict IN ({string.Join(", ", names.Select(n => n.Name))})");
            foreach (var (name, value) in names)
                command.Parameters.AddWithValue(name, value);
        }
        command.CommandText = $"SELECT id, time_us, event, node, verdict, reason, json FROM audit WHERE {string.Join(" AND ", where)} ORDER BY id LIMIT $limit";
        command.Parameters.AddWithValue("$limit", limit);
        var rows = new List<AuditRow>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            rows.Add(new AuditRow(reader.GetInt64(0), FromMicros(reader.GetInt64(1)), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6)));
        return rows;
    }

    /// <summary>The latest verdict of each node (for the node list).</summary>
    public IReadOnlyDictionary<string, AuditRow> LastVerdicts()
    {
        using var connection = Reader();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT id, time_us, event, node, verdict, reason, json FROM audit
            WHERE id IN (SELECT MAX(id) FROM audit WHERE event = 'verdict' AND node IS NOT NULL GROUP BY node)
            """;
        var rows = new Dictionary<string, AuditRow>(StringComparer.Ordinal);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            rows[reader.GetString(3)] = new AuditRow(reader.GetInt64(0), FromMicros(reader.GetInt64(1)), reader.GetString(2),
                reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6));
        return rows;
    }

    /// <summary>Events with a sequence number above <paramref name="after"/>, in order.</summary>
    public IReadOnlyList<StoredEvent> EventsAfter(long after, int limit = 1000)
    {
        using var connection = Reader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT seq, time_us, type, data FROM events WHERE seq > $after ORDER BY seq LIMIT $limit";
        command.Parameters.AddWithValue("$after", after);
        command.Parameters.AddWithValue("$limit", limit);
        var events = new List<StoredEvent>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
            events.Add(new StoredEvent(reader.GetInt64(0), FromMicros(reader.GetInt64(1)), reader.GetString(2), reader.GetString(3)));
        return events;
    }

    /// <summary>Stops accepting records, commits what is queued, closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writerLoop.ConfigureAwait(false);
        _writer.Dispose();
        SqliteConnection.ClearAllPools();
    }

    internal static JsonElement ParseJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
