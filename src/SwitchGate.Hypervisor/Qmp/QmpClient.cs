using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwitchGate.Hypervisor.Qmp;

/// <summary>
/// A QMP client over any duplex stream (a Unix socket to QEMU; a pipe in unit tests). One command is in
/// flight at a time; a background reader routes each message: replies to the waiting command (matched by
/// id), events to a bounded log that waiters scan from a mark, so an event that arrives before anyone
/// waits for it (DEVICE_DELETED racing the device_del reply) is not lost. A malformed, oversized or
/// unexpected message ends the connection: the pending command and every later call fail with it.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    /// <summary>Events kept for late waiters; older ones are dropped (a chatty guest cannot grow it without limit).</summary>
    public const int EventLogCapacity = 1024;

    private readonly Stream _stream;
    private readonly QmpLineReader _reader;
    private readonly SemaphoreSlim _commandLock = new(1, 1);
    private readonly object _gate = new();
    private readonly List<QmpEvent> _events = [];
    private readonly CancellationTokenSource _stop = new();
    private long _eventBase;
    private TaskCompletionSource _eventArrived = NewSignal();
    private TaskCompletionSource<QmpMessage>? _pending;
    private string? _pendingId;
    // Commands whose caller gave up (cancelled) before the reply: their late replies are dropped, not taken
    // for a protocol error. Bounded by the number of cancelled commands, each removed when its reply arrives.
    private readonly HashSet<string> _abandoned = [];
    private long _nextId;
    private Exception? _fault;
    private Task _readLoop = Task.CompletedTask;

    private QmpClient(Stream stream, int maxLineBytes)
    {
        _stream = stream;
        _reader = new QmpLineReader(stream, maxLineBytes);
    }

    /// <summary>The greeting QEMU sent (its version and capabilities).</summary>
    public QmpGreeting Greeting { get; private set; } = new("", []);

    /// <summary>
    /// Reads the greeting over <paramref name="stream"/> and negotiates (<c>qmp_capabilities</c>); the client
    /// owns the stream from then on.
    /// </summary>
    public static async Task<QmpClient> OpenAsync(Stream stream, CancellationToken ct, int maxLineBytes = QmpLineReader.DefaultMaxLineBytes)
    {
        var client = new QmpClient(stream, maxLineBytes);
        try
        {
            var line = await client._reader.ReadLineAsync(ct).ConfigureAwait(false)
                ?? throw new QmpException(QmpFailure.Closed, "QMP connection closed before the greeting");
            client.Greeting = QmpCodec.Decode(line) as QmpGreeting
                ?? throw new QmpException(QmpFailure.Malformed, "the first QMP message is not a greeting");
            client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            await client.ExecuteAsync("qmp_capabilities", null, ct).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Connects to QEMU's QMP Unix socket and negotiates.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return await OpenAsync(new NetworkStream(socket, ownsSocket: true), ct).ConfigureAwait(false);
    }

    /// <summary>Runs one command and returns its <c>return</c> value; an <c>error</c> reply is a <see cref="QmpException"/>.</summary>
    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken ct)
    {
        await _commandLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            TaskCompletionSource<QmpMessage> reply;
            string id;
            lock (_gate)
            {
                if (_fault is not null) throw Faulted();
                id = $"sg-{++_nextId}";
                reply = new TaskCompletionSource<QmpMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending = reply;
                _pendingId = id;
            }
            try
            {
                await _stream.WriteAsync(QmpCodec.EncodeCommand(command, arguments, id), ct).ConfigureAwait(false);
                await _stream.FlushAsync(ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                Fail(new QmpException(QmpFailure.Closed, $"QMP connection closed while sending '{command}'", inner: e));
            }
            QmpMessage message;
            try
            {
                message = await reply.Task.WaitAsync(ct).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    if (_pending == reply)
                    {
                        if (_abandoned.Count < EventLogCapacity) _abandoned.Add(id);
                        _pending = null;
                        _pendingId = null;
                    }
                }
            }
            return message switch
            {
                QmpReturn r => r.Value,
                QmpError e => throw new QmpException(QmpFailure.ErrorReply, $"QMP '{command}' failed: {e.Class}: {e.Description}", e.Class),
                _ => throw new QmpException(QmpFailure.Malformed, $"unexpected reply to '{command}'"),
            };
        }
        finally
        {
            _commandLock.Release();
        }
    }

    /// <summary>A position in the event stream: pass it to <see cref="WaitForEventAsync"/> to see only events after it.</summary>
    public long EventMark
    {
        get { lock (_gate) return _eventBase + _events.Count; }
    }

    /// <summary>Events received so far that are still in the log.</summary>
    public IReadOnlyList<QmpEvent> Events
    {
        get { lock (_gate) return _events.ToArray(); }
    }

    /// <summary>
    /// Waits for the first event at or after <paramref name="fromMark"/> named <paramref name="name"/> that
    /// <paramref name="match"/> accepts. <see cref="TimeoutException"/> on the deadline; a closed connection
    /// is a <see cref="QmpException"/>.
    /// </summary>
    public async Task<QmpEvent> WaitForEventAsync(string name, Func<QmpEvent, bool>? match, long fromMark, TimeSpan timeout, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(timeout);
        var next = fromMark;
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                for (next = Math.Max(next, _eventBase); next < _eventBase + _events.Count; next++)
                {
                    var e = _events[(int)(next - _eventBase)];
                    if (e.Name == name && (match is null || match(e))) return e;
                }
                if (_fault is not null) throw Faulted();
                arrived = _eventArrived.Task;
            }
            try
            {
                await arrived.WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no QMP event {name} within {timeout.TotalSeconds:0.#} s");
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync(_stop.Token).ConfigureAwait(false) is { } line)
            {
                var message = QmpCodec.Decode(line);
                lock (_gate)
                {
                    switch (message)
                    {
                        case QmpEvent e:
                            _events.Add(e);
                            if (_events.Count > EventLogCapacity)
                            {
                                _events.RemoveAt(0);
                                _eventBase++;
                            }
                            _eventArrived.TrySetResult();
                            _eventArrived = NewSignal();
                            break;
                        case QmpReturn or QmpError:
                            var id = message is QmpReturn r ? r.Id : ((QmpError)message).Id;
                            if (id is not null && _abandoned.Remove(id))
                                break;
                            if (_pending is null || id != _pendingId)
                                throw new QmpException(QmpFailure.Malformed, $"a reply with id '{id}' while {(_pending is null ? "no command was waiting" : $"'{_pendingId}' was")}");
                            _pending.TrySetResult(message);
                            _pending = null;
                            _pendingId = null;
                            break;
                        default:
                            throw new QmpException(QmpFailure.Malformed, "a second greeting");
                    }
                }
            }
            Fail(new QmpException(QmpFailure.Closed, "QMP connection closed by QEMU"));
        }
        catch (QmpException e)
        {
            Fail(e);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            Fail(new QmpException(QmpFailure.Closed, $"QMP connection lost ({e.Message})", inner: e));
        }
    }

    private void Fail(Exception fault)
    {
        lock (_gate)
        {
            _fault ??= fault;
            _pending?.TrySetException(Faulted());
            _pending = null;
            _eventArrived.TrySetResult();
        }
        try { _stream.Dispose(); } catch (IOException) { }
    }

    private QmpException Faulted() => _fault switch
    {
        QmpException q => new QmpException(q.Failure, q.Message, q.ErrorClass, q),
        { } e => new QmpException(QmpFailure.Closed, e.Message, inner: e),
        null => new QmpException(QmpFailure.Closed, "QMP connection closed"),
    };

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        Fail(new QmpException(QmpFailure.Closed, "QMP client disposed"));
        try { await _readLoop.ConfigureAwait(false); } catch (Exception) { /* the loop reports through Fail */ }
        _stop.Dispose();
    }
}
