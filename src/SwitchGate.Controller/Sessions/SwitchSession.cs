using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Pipeline;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Sessions;

/// <summary>
/// One OpenFlow 1.3 switch connection over an abstract duplex byte stream (TCP now, TLS later).
/// The reader loop decodes frames and drives the state machine (<see cref="SessionState"/>) and the
/// apps; everything to send goes through a bounded <see cref="SendQueue"/> drained by whoever holds
/// the write gate (normally the reader itself, right after a read: one flush per read); the keepalive
/// loop enforces the hello/handshake timeouts and sends ECHO_REQUEST on silence (rules in <see cref="Keepalive"/>). Every failure ends in <see cref="Close"/>, the single path into
/// <see cref="SessionState.Closed"/>, which logs its reason once and fails pending requests.
/// </summary>
public sealed class SwitchSession : ISwitchView
{
    private const int FlushThreshold = 64 * 1024;

    private readonly IDuplexPipe _transport;
    private readonly SwitchPipeline _pipeline;
    private readonly SwitchRegistry _registry;
    private readonly ControllerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly XidTracker _xids = new();
    private readonly Func<ulong, string?>? _checkDatapathId;

    /// <summary>Requests and batches still waiting for their reply (diagnostics, tests).</summary>
    internal int OutstandingRequests => _xids.Outstanding;
    private readonly SendQueue _sendQueue;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abortWrites = new();
    private readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _portsLock = new();
    private readonly Dictionary<uint, PortDesc> _ports = new();
    private readonly List<PortDesc> _portDescParts = new();
    private readonly List<OfpMessage> _output = new();

    private SwitchPipeline.Instance? _apps;
    private int _state = (int)SessionState.AwaitingHello;
    private string? _closeReason;
    private ulong _datapathId;
    private bool _registered;
    private uint _featuresXid;
    private uint _portDescXid;
    private long _connectedAt;
    private long _helloAt;
    private long _lastReceived;
    private uint _keepaliveXid;
    private long _packetInsIgnored;
    private long _answersDropped;

    /// <param name="checkDatapathId">
    /// The channel's say on the datapath id the switch announces (TLS: is its certificate bound to it?): null admits,
    /// a reason closes the session in <see cref="SessionState.AwaitingFeatures"/>, before it is registered.
    /// </param>
    public SwitchSession(IDuplexPipe transport, string remote, SwitchPipeline pipeline, SwitchRegistry registry,
        ControllerOptions options, TimeProvider time, ILogger<SwitchSession> log, Func<ulong, string?>? checkDatapathId = null)
    {
        _checkDatapathId = checkDatapathId;
        _transport = transport;
        Remote = remote;
        _pipeline = pipeline;
        _registry = registry;
        _options = options;
        _time = time;
        _log = log;
        _sendQueue = new SendQueue(options.SendQueueCapacity);
    }

    /// <summary>The peer's address, for logs.</summary>
    public string Remote { get; }

    public SessionState State => (SessionState)Volatile.Read(ref _state);

    /// <summary>Valid from <see cref="SessionState.AwaitingPortDesc"/> on.</summary>
    public ulong DatapathId => _datapathId;

    /// <summary>"0x%016x", as the CLI prints it.</summary>
    public string DatapathIdText => FormatDpid(_datapathId);

    public FeaturesReply? Features { get; private set; }

    /// <summary>Why the session closed; null while open.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Completes true when the cold start is confirmed, false if the session closed before.</summary>
    public Task<bool> Ready => _ready.Task;

    /// <summary>Completes with the close reason.</summary>
    public Task<string> Closed => _closed.Task;

    /// <summary>PACKET_INs dropped because the session was not ready or no app owns their table.</summary>
    public long PacketInsIgnored => Interlocked.Read(ref _packetInsIgnored);

    /// <summary>Answers to the switch dropped because its send queue was full (it does not read fast enough).</summary>
    public long AnswersDropped => Interlocked.Read(ref _answersDropped);

    /// <summary>Live port table; apps read it from their callbacks (the reader thread). Others use <see cref="PortsSnapshot"/>.</summary>
    public IReadOnlyDictionary<uint, PortDesc> Ports => _ports;

    public IReadOnlyList<PortDesc> PortsSnapshot()
    {
        lock (_portsLock)
            return [.. _ports.Values.OrderBy(p => p.PortNo)];
    }

    public static string FormatDpid(ulong dpid) => $"0x{dpid:x16}";

    /// <summary>Runs the session until it closes; never throws. Cancelling <paramref name="stopping"/> closes it.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        using var registration = stopping.Register(() => Close("controller shutting down", LogLevel.Information));
        long now = _time.GetTimestamp();
        _connectedAt = _lastReceived = now;
        // §6.3.1: each side sends HELLO immediately; ours offers 1.3 in a version bitmap.
        TryEnqueue(Hello.VersionBitmap(OfpConstants.Version));
        var keepalive = Task.Run(KeepaliveLoopAsync, CancellationToken.None); // ends with the session (Close), not with the token
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Close($"internal error: {ex.GetType().Name}: {ex.Message}", LogLevel.Error);
        }
        Close("read loop ended", LogLevel.Warning);
        await FinalDrainAsync().ConfigureAwait(false);
        await keepalive.ConfigureAwait(false);
        await _transport.Input.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="messages"/> followed by a BARRIER_REQUEST; completes when the BARRIER_REPLY
    /// arrives (the switch has then processed all of them, §6.4). Throws <see cref="SwitchErrorException"/>
    /// if the switch answered any of them with an ERROR, <see cref="SessionClosedException"/> if the
    /// session closes first. The messages' xids are replaced by tracked ones.
    /// </summary>
    public async Task SendBatchAsync(IReadOnlyList<OfpMessage> messages, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (first, barrierXid, done) = _xids.RegisterBatch(messages);
        try
        {
            for (int queued = 0; queued < messages.Count;)
                queued += await EnqueueSomeAsync(messages, queued, first, cancellationToken).ConfigureAwait(false);
            await EnqueueSomeAsync([new BarrierRequest()], 0, barrierXid, cancellationToken).ConfigureAwait(false);
            await done.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _xids.Abandon(barrierXid);
            throw;
        }
        ControllerMetrics.RecordBarrier(started);
    }

    /// <summary>Sends a request and returns the reply with its xid (an ERROR throws <see cref="SwitchErrorException"/>).</summary>
    public async Task<OfpMessage> RequestAsync(OfpMessage request, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var (xid, reply) = _xids.Register();
        try
        {
            await EnqueueSomeAsync([request], 0, xid, cancellationToken).ConfigureAwait(false);
            return await reply.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _xids.Abandon(xid);
            throw;
        }
    }

    /// <summary>Queues a message without waiting for any confirmation (its xid is kept as given).</summary>
    public async ValueTask SendAsync(OfpMessage message, CancellationToken cancellationToken = default)
    {
        await EnqueueSomeAsync([message], 0, message.Xid, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the session (idempotent); the first reason wins and is logged.</summary>
    public void Close(string reason) => Close(reason, LogLevel.Warning);

    private void Close(string reason, LogLevel level, bool drainQueue = false)
    {
        int previous = Interlocked.Exchange(ref _state, (int)SessionState.Closed);
        if (previous == (int)SessionState.Closed)
            return;
        Volatile.Write(ref _closeReason, reason);
        _log.SessionClosed(level, _registered ? DatapathIdText : "(unknown dpid)", Remote, (SessionState)previous, reason);
        _xids.Close(new SessionClosedException(reason));
        _sendQueue.Complete();
        if (drainQueue)
            _abortWrites.CancelAfter(TimeSpan.FromSeconds(1)); // let a final ERROR reach the peer, but not forever
        else
            _abortWrites.Cancel();
        if (Volatile.Read(ref _registered))
            _registry.Unregister(this);
        _ready.TrySetResult(false);
        _closed.TrySetResult(reason);
        // Last, because cancelling may run the reader's continuation (and the session's teardown) inline.
        _stop.Cancel();
        try
        {
            _transport.Input.CancelPendingRead();
        }
        catch (InvalidOperationException)
        {
            // the reader already completed the input
        }
    }

    private void ThrowIfClosed()
    {
        if (State == SessionState.Closed)
            throw new SessionClosedException(CloseReason ?? "closed");
    }

    private bool TryTransition(SessionState from, SessionState to) =>
        Interlocked.CompareExchange(ref _state, (int)to, (int)from) == (int)from;

    private bool TryEnqueue(OfpMessage message)
    {
        if (!_sendQueue.TryEnqueue(message))
            return false;
        KickWriter();
        return true;
    }

    /// <summary>Queues messages[start..] (as many as fit, waiting for room), message i with xid firstXid+i, and gets them written.</summary>
    private async ValueTask<int> EnqueueSomeAsync(IReadOnlyList<OfpMessage> messages, int start, uint firstXid, CancellationToken cancellationToken)
    {
        int queued;
        try
        {
            queued = await _sendQueue.EnqueueSomeAsync(messages, start, firstXid, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            throw new SessionClosedException(CloseReason ?? "closed");
        }
        KickWriter();
        return queued;
    }

    private async Task ReadLoopAsync()
    {
        var input = _transport.Input;
        int synchronousReads = 0;
        while (true)
        {
            ReadResult result;
            try
            {
                var read = input.ReadAsync(_stop.Token);
                // A switch that never lets its socket run dry would keep this loop on one pool thread forever;
                // yield now and then so the other sessions' work gets scheduled.
                if (!read.IsCompleted)
                    synchronousReads = 0;
                else if (++synchronousReads >= 16)
                {
                    synchronousReads = 0;
                    await Task.Yield();
                }
                result = await read.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex)
            {
                Close($"read failed: {ex.Message}");
                return;
            }
            if (result.IsCanceled || State == SessionState.Closed)
                return;

            var buffer = result.Buffer;
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            var now = _time.GetUtcNow();
            try
            {
                while (OfpFrameReader.TryRead(ref buffer, out var message))
                {
                    Dispatch(message!, now);
                    if (State == SessionState.Closed)
                        break;
                }
            }
            catch (OpenFlowFormatException ex)
            {
                Close($"malformed message: {ex.Reason}");
            }
            catch (ProtocolViolationException ex)
            {
                Close($"protocol violation: {ex.Message}");
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (State == SessionState.Closed)
                return;

            // Everything answered for this read is queued at once and written by one drain. The reader never waits for
            // room (see SendQueue): what does not fit is dropped, like a switch drops packet-ins.
            if (_output.Count > 0)
            {
                int dropped = _sendQueue.TryEnqueueAll(_output);
                _output.Clear();
                if (dropped > 0 && Interlocked.Add(ref _answersDropped, dropped) == dropped)
                    _log.SendQueueFull(DatapathIdText);
                KickWriter();
            }

            if (result.IsCompleted)
            {
                Close(buffer.IsEmpty ? "switch closed the connection" : $"switch closed the connection inside a message ({buffer.Length} bytes left)");
                return;
            }
        }
    }

    private void Dispatch(OfpMessage message, DateTimeOffset now)
    {
        var state = State;
        if (state == SessionState.AwaitingHello && message is not Hello)
        {
            throw new ProtocolViolationException(message is ErrorMsg e
                ? $"switch sent ERROR before HELLO: {ErrorText.Describe(e)}"
                : $"expected HELLO first, got {message.Type}");
        }

        switch (message)
        {
            case PacketIn packetIn:
                ControllerMetrics.PacketIns.Add(1);
                if (state == SessionState.Ready && _apps!.PacketIn(packetIn, now, _output))
                    return;
                _packetInsIgnored++;
                return;
            case Hello hello:
                if (state != SessionState.AwaitingHello)
                    throw new ProtocolViolationException("second HELLO");
                Negotiate(hello);
                return;
            case EchoRequest echo:
                // §6.3.2: the receiver answers an echo request with an echo reply carrying the same data.
                _output.Add(new EchoReply(echo.Data) { Xid = echo.Xid });
                return;
            case ErrorMsg error:
                OnError(error, state);
                return;
            case FeaturesReply features when state == SessionState.AwaitingFeatures && features.Xid == _featuresXid:
                OnFeatures(features);
                return;
            case MultipartReply reply when state == SessionState.AwaitingPortDesc && reply.Xid == _portDescXid:
                OnPortDescPart(reply, now);
                return;
            case FlowRemoved removed:
                if (state == SessionState.Ready)
                    _apps!.FlowRemoved(removed, now, _output);
                return;
            case PortStatus status:
                OnPortStatus(status, state, now);
                return;
            case EchoReply when message.Xid == Volatile.Read(ref _keepaliveXid):
                return; // the keepalive's answer: receiving it was the point (see Keepalive)
            case EchoReply or BarrierReply or FeaturesReply or MultipartReply or GetConfigReply or RoleReply or GetAsyncReply or QueueGetConfigReply:
                // A reply nobody waits for any more (e.g. a cancelled request) is harmless.
                if (!_xids.TryComplete(message))
                    _log.Unsolicited(DatapathIdText, message.Type, message.Xid);
                return;
            case ErrorExperimenterMsg experimenterError:
                _log.ExperimenterError(DatapathIdText, experimenterError.Xid, experimenterError.Experimenter, experimenterError.ExpType);
                return;
            case ExperimenterMsg:
                return; // §7.5.4: experimenter messages we do not know are ignored
            default:
                // Controller-to-switch messages (FLOW_MOD, PACKET_OUT, ...) have no business coming from a switch.
                throw new ProtocolViolationException($"switch sent {message.Type}, a controller-to-switch message");
        }
    }

    private void Negotiate(Hello hello)
    {
        // §6.3.1: with bitmaps on both sides the version is the highest common one; without, the
        // smaller of the two header versions. We only speak 1.3 (0x04).
        if (!hello.SupportsVersion(OfpConstants.Version))
        {
            string offered = hello.Bitmap is { } b ? $"version bitmap [{string.Join(", ", b.Bitmaps.Select(w => $"0x{w:x8}"))}]" : $"version 0x{hello.Version:x2}";
            string text = $"SwitchGate speaks only OpenFlow 1.3 (0x04); switch offered {offered}";
            // OFPET_HELLO_FAILED / OFPHFC_INCOMPATIBLE with an ASCII explanation, then terminate (§6.3.1).
            TryEnqueue(new ErrorMsg(ErrorType.HelloFailed, (ushort)HelloFailedCode.Incompatible, System.Text.Encoding.ASCII.GetBytes(text)) { Xid = hello.Xid });
            Close($"version negotiation failed: {text}", LogLevel.Warning, drainQueue: true);
            return;
        }
        _helloAt = _time.GetTimestamp();
        _featuresXid = _xids.Reserve(1);
        TryTransition(SessionState.AwaitingHello, SessionState.AwaitingFeatures);
        _output.Add(new FeaturesRequest { Xid = _featuresXid });
    }

    private void OnFeatures(FeaturesReply features)
    {
        if (features.AuxiliaryId != 0)
            throw new ProtocolViolationException($"auxiliary connection {features.AuxiliaryId} (§6.3.6) is not supported");
        Features = features;
        _datapathId = features.DatapathId;
        // Before the registry sees the datapath id: a refused switch must neither replace the session of the switch
        // it claims to be nor get anything installed (the pipeline is attached and the cold start sent only below).
        if (_checkDatapathId?.Invoke(features.DatapathId) is { } refusal)
        {
            Close($"datapath id refused: {refusal}");
            return;
        }
        Volatile.Write(ref _registered, true);
        _registry.Register(this);
        if (!TryTransition(SessionState.AwaitingFeatures, SessionState.AwaitingPortDesc))
        {
            // Closed (keepalive timeout) between setting _registered and Register: Close could not unregister us.
            _registry.Unregister(this);
            return;
        }
        _log.SwitchConnected(DatapathIdText, Remote, features.NTables, features.NBuffers);
        _apps = _pipeline.Attach(this);
        _portDescXid = _xids.Reserve(1);
        // Whole packets in packet-ins (OFPCML_NO_BUFFER, §7.3.2), normal fragment handling.
        _output.Add(new SetConfig((ushort)ConfigFlags.FragNormal, OfpControllerMaxLen.NoBuffer));
        _output.Add(new MultipartRequest(new PortDescRequest()) { Xid = _portDescXid });
    }

    private void OnPortDescPart(MultipartReply reply, DateTimeOffset now)
    {
        if (reply.Body is not PortDescReply ports)
            throw new ProtocolViolationException($"answered the PORT_DESC request with a {reply.MultipartType} reply");
        _portDescParts.AddRange(ports.Ports);
        if ((reply.Flags & MultipartFlags.ReplyMore) != 0)
            return; // §7.3.5: more parts follow
        lock (_portsLock)
        {
            _ports.Clear();
            foreach (var p in _portDescParts)
                _ports[p.PortNo] = p;
        }
        _portDescParts.Clear();
        if (!TryTransition(SessionState.AwaitingPortDesc, SessionState.ColdStarting))
            return;
        var batch = new List<OfpMessage>
        {
            // Start from nothing (issue 2 item 5): every flow of every table, every meter, every group.
            new FlowMod
            {
                TableId = OfpTable.All,
                Command = FlowModCommand.Delete,
                BufferId = OfpBuffer.NoBuffer,
                OutPort = OfpPort.Any,
                OutGroup = OfpGroup.Any,
                Match = Match.Empty,
                Instructions = [],
            },
            new MeterMod(MeterModCommand.Delete, MeterFlags.None, OfpMeter.All, []),
            new GroupMod(GroupModCommand.Delete, GroupType.All, OfpGroup.All, []),
        };
        _apps!.ColdStart(now, batch);
        _ = ColdStartAsync(batch);
    }

    private async Task ColdStartAsync(List<OfpMessage> batch)
    {
        using var timeout = new CancellationTokenSource(_options.ColdStartTimeout, _time);
        try
        {
            await SendBatchAsync(batch, timeout.Token).ConfigureAwait(false);
        }
        catch (SwitchErrorException ex)
        {
            Close($"cold start failed: {ex.Message}");
            return;
        }
        catch (OperationCanceledException)
        {
            Close($"cold start not confirmed by a barrier reply within {_options.ColdStartTimeout.TotalSeconds}s");
            return;
        }
        catch (SessionClosedException)
        {
            return;
        }
        if (!TryTransition(SessionState.ColdStarting, SessionState.Ready))
            return;
        _log.SwitchReady(DatapathIdText, _ports.Count, batch.Count);
        _ready.TrySetResult(true);
        _registry.OnReady(this);
    }

    private void OnPortStatus(PortStatus status, SessionState state, DateTimeOffset now)
    {
        if (state < SessionState.AwaitingPortDesc)
            return; // the PORT_DESC reply will describe the ports anyway
        var desc = status.Desc;
        lock (_portsLock)
        {
            if (status.Reason == PortStatusReason.Delete)
                _ports.Remove(desc.PortNo);
            else
                _ports[desc.PortNo] = desc;
        }
        _log.PortChanged(DatapathIdText, desc.PortNo, desc.Name, status.Reason, desc.Config, desc.State);
        if (state == SessionState.Ready)
            _apps!.PortStatus(status, now, _output);
        _registry.OnPortStatus(this, status);
    }

    private void OnError(ErrorMsg error, SessionState state)
    {
        if (state == SessionState.AwaitingFeatures && error.Xid == _featuresXid
            || state == SessionState.AwaitingPortDesc && error.Xid == _portDescXid)
            throw new ProtocolViolationException($"switch rejected the handshake: {ErrorText.Describe(error)}");
        if (error.KnownErrorType == ErrorType.HelloFailed)
            throw new ProtocolViolationException($"switch reported HELLO_FAILED: {ErrorText.Describe(error)}");
        if (!_xids.TryFail(error) && _log.IsEnabled(LogLevel.Warning))
            _log.UnconfirmedError(DatapathIdText, error.Xid, ErrorText.Describe(error));
    }

    /// <summary>
    /// Gets the queue written without a dedicated writer task: whoever queued something and finds no
    /// write in progress drains the queue itself — usually the reader, right after a read, so answers go
    /// out without a thread hop. The drain runs synchronously until a flush has to wait for the switch;
    /// then the caller (never blocked) returns and the drain finishes on its own.
    /// </summary>
    private void KickWriter()
    {
        if (_writeGate.Wait(0))
            _ = DrainAndReleaseAsync();
    }

    private async Task DrainAndReleaseAsync()
    {
        while (true)
        {
            bool healthy = false;
            try
            {
                healthy = await DrainAsync().ConfigureAwait(false);
            }
            finally
            {
                _writeGate.Release();
            }
            // Something may have been queued between our last take and the release (its producer found
            // the gate taken): take the gate again rather than leave it waiting.
            if (!healthy || _sendQueue.IsEmpty || !_writeGate.Wait(0))
                return;
        }
    }

    /// <summary>Writes until the queue is empty; false if writing failed (the session is then closed).</summary>
    private async Task<bool> DrainAsync()
    {
        var output = _transport.Output;
        try
        {
            while (_sendQueue.TryTakeAll(out var batch))
            {
                bool gone = false;
                for (int i = 0; i < batch.Count && !gone; i++)
                {
                    Encode(batch[i], output);
                    // Flush at least every 64 KiB so a 100k flow-mod batch streams instead of piling up.
                    if (output.UnflushedBytes >= FlushThreshold)
                        gone = IsDone(await output.FlushAsync(_abortWrites.Token).ConfigureAwait(false));
                }
                _sendQueue.Recycle(batch);
                if (gone || IsDone(await output.FlushAsync(_abortWrites.Token).ConfigureAwait(false)))
                {
                    Close("switch stopped accepting data");
                    return false;
                }
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false; // Close aborted the writes
        }
        catch (Exception ex)
        {
            Close($"write failed: {ex.Message}");
            return false;
        }
    }

    /// <summary>
    /// After Close: let what is still queued out (a HELLO_FAILED ERROR) unless the writes were aborted,
    /// then complete the output. Waits for a drain in progress; Close has cancelled its flush if needed.
    /// </summary>
    private async Task FinalDrainAsync()
    {
        try
        {
            await _writeGate.WaitAsync(_abortWrites.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await _writeGate.WaitAsync().ConfigureAwait(false);
        }
        if (!_abortWrites.IsCancellationRequested)
            await DrainAsync().ConfigureAwait(false);
        await _transport.Output.CompleteAsync().ConfigureAwait(false);
    }

    private static bool IsDone(FlushResult flush) => flush.IsCompleted || flush.IsCanceled;

    private void Encode(Outgoing outgoing, PipeWriter output)
    {
        var message = outgoing.Message;
        int length;
        try
        {
            length = OfpCodec.GetLength(message);
            var span = output.GetSpan(length)[..length];
            OfpCodec.Encode(message, span);
            // ofp_header.xid is bytes 4..7 (§7.1): tracked messages get their xid here instead of a record copy.
            if (outgoing.Xid != message.Xid)
                BinaryPrimitives.WriteUInt32BigEndian(span[4..], outgoing.Xid);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or OpenFlowFormatException)
        {
            // Our own bug (an app built an invalid message): drop it, fail whoever waits for it, keep the switch.
            _log.CannotEncode(DatapathIdText, message.Type, outgoing.Xid, ex.Message);
            _xids.FailLocally(outgoing.Xid, ex);
            return;
        }
        output.Advance(length);
        if (message.Type == OfpType.FlowMod)
            ControllerMetrics.FlowMods.Add(1);
    }

    private async Task KeepaliveLoopAsync()
    {
        var tick = Keepalive.Tick(_options);
        long? echoSentAt = null; // the ECHO_REQUEST waiting for an answer (any message after it is one)
        while (State != SessionState.Closed)
        {
            try
            {
                await Task.Delay(tick, _time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var state = State;
            long now = _time.GetTimestamp();
            long lastReceived = Volatile.Read(ref _lastReceived);
            if (echoSentAt is { } sent && lastReceived >= sent)
                echoSentAt = null;
            var times = new KeepaliveTimes(
                _time.GetElapsedTime(_connectedAt, now),
                _time.GetElapsedTime(_helloAt, now),
                _time.GetElapsedTime(lastReceived, now),
                echoSentAt is { } waiting ? _time.GetElapsedTime(waiting, now) : null);
            var decision = Keepalive.Decide(state, times, _options);
            switch (decision.Action)
            {
                case KeepaliveAction.Close:
                    Close(decision.Reason!);
                    break;
                case KeepaliveAction.SendEcho:
                    // §6.3.2: echo request/reply verifies the liveness of the connection.
                    uint xid = _xids.Reserve(1);
                    Volatile.Write(ref _keepaliveXid, xid);
                    if (TryEnqueue(new EchoRequest([]) { Xid = xid }))
                        echoSentAt = now;
                    break;
            }
        }
    }
}
