using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Gate.Audit;
using SwitchGate.Gate.Enrolment;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate;

/// <summary>
/// The thin I/O around <see cref="GatePolicy"/>: serialises policy calls with one lock, writes audit entries
/// before anything they describe is sent, sends PACKET_OUTs, runs barrier-confirmed batches and feeds their
/// outcome back to the policy. Admission state lives here (in the policy), not in the per-switch apps, so it
/// survives switch reconnects; it lives in memory only, so a controller restart admits nobody until they
/// attest again (docs/gate.md "Restarts").
/// </summary>
public sealed class GateService : IDisposable, IAsyncDisposable
{
    private readonly GatePolicy _policy;
    private readonly object _lock = new();
    private readonly object _reloadLock = new();
    private readonly IGateSwitches _switches;
    private readonly EnrolmentStore _store;
    private readonly AuditLog _audit;
    private readonly IAuditSink? _sink;
    private readonly object _dispatchLock = new();
    private Task _dispatchTail = Task.CompletedTask;
    // Policy steps are numbered under _lock and enter the dispatch in that order (a later step's GROUP_MOD or flow
    // deletion must never overtake an earlier step's), while audit writes of different steps may still overlap.
    private readonly object _dispatchTurn = new();
    private long _issued;
    private long _dispatched;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private int _batchesInFlight;
    private readonly object _batchesLock = new();
    private TaskCompletionSource? _batchesDrained;
    private string _fingerprint = "";

    /// <summary>Loads the enrolments (a missing directory throws <see cref="DirectoryNotFoundException"/>) and opens the audit log.</summary>
    /// <param name="sink">
    /// Optional durable store of audit entries (the operations store). With one, a step's messages wait for its
    /// entries to be durable there, off the caller's thread: the switch session's reader never waits for a commit.
    /// </param>
    public GateService(GateOptions options, IGateSwitches switches, TimeProvider time, ILogger<GateService> log, IAuditSink? sink = null)
    {
        _sink = sink;
        options.EnsureValid();
        Options = options;
        _switches = switches;
        _time = time;
        _log = log;
        _store = new EnrolmentStore(options.EnrolmentDirectory, options.EkCaPath is { } ca ? EkBinding.LoadCaBundle(ca) : null);
        _audit = new AuditLog(options.AuditLogPath, options.AuditSyncEveryAppend);
        _policy = new GatePolicy(options);
        AppFactory = new GateAppFactory(this);
        Reload();
    }

    public GateOptions Options { get; }

    /// <summary>The table-0 app to register with the controller's pipeline.</summary>
    public ISwitchAppFactory AppFactory { get; }

    public GateCounters Counters => _policy.Counters;

    public EnrolmentStore Enrolments => _store;

    public AuditLog AuditLog => _audit;

    /// <summary>
    /// Raised after each audit entry is durable (verdicts, failed installs, enrolment changes), on any thread, while
    /// its step holds the dispatch turn: a handler must not run gate steps (Reload, RevokeNow, Tick) synchronously.
    /// </summary>
    public event Action<AuditEntry>? Audited;

    /// <summary>Barrier-confirmed batches not yet answered.</summary>
    public int BatchesInFlight => Volatile.Read(ref _batchesInFlight);

    public GateStatus Status()
    {
        lock (_lock)
            return _policy.Status(_time.GetUtcNow());
    }

    /// <summary>
    /// Re-reads the enrolment directory: added nodes get their flows, changed and removed ones are revoked
    /// (barrier-confirmed) and their flows replaced or deleted. Refused files are logged and audited.
    /// </summary>
    public EnrolmentChanges Reload()
    {
        lock (_reloadLock)
        {
            _fingerprint = _store.Fingerprint();
            var snapshot = _store.Load();
            foreach (var problem in snapshot.Rejected)
                _log.EnrolmentRefused(problem);
            var output = new GateOutput();
            EnrolmentChanges changes;
            long turn;
            lock (_lock)
            {
                changes = _policy.SetEnrolments(snapshot.Records, snapshot.Rejected, _time.GetUtcNow(), output, snapshot.ProofKeys);
                turn = ++_issued;
            }
            if (!changes.IsEmpty)
                _log.EnrolmentsChanged(snapshot.Records.Count, changes.Added.Count, changes.Changed.Count, changes.Removed.Count);
            Perform(output, 0, null, turn);
            return changes;
        }
    }

    /// <summary>Reloads if the directory's files changed since the last load (for polling).</summary>
    public EnrolmentChanges? ReloadIfChanged() => _store.Fingerprint() == _fingerprint ? null : Reload();

    /// <summary>The controller's lease clock (call periodically).</summary>
    public void Tick() => Step(0, null, (p, now, o) => p.Tick(now, o));

    /// <summary>
    /// An operator ends the node's admission now (docs/operations.md): revoked like any other revocation, the
    /// VERDICT after the barrier-confirmed deletion. False when the node is unknown or holds no admission.
    /// </summary>
    public bool RevokeNow(string node, string detail)
    {
        bool revoked = false;
        Step(0, null, (p, now, o) => revoked = p.RevokeNow(node, detail, now, o));
        return revoked;
    }

    /// <summary>Runs a policy step under the lock and performs its output; same-switch messages go to <paramref name="sameSwitch"/> if given.</summary>
    internal void Step(ulong dpid, List<OfpMessage>? sameSwitch, Action<GatePolicy, DateTimeOffset, GateOutput> step, DateTimeOffset? now = null,
        long? frameTimestamp = null)
    {
        var output = new GateOutput();
        long turn = 0;
        lock (_lock)
        {
            step(_policy, now ?? _time.GetUtcNow(), output);
            if (!output.IsEmpty)
                turn = ++_issued;
        }
        if (turn > 0)
            Perform(output, dpid, sameSwitch, turn, frameTimestamp);
    }

    internal void ColdStart(ulong dpid, IEnumerable<PortDesc> ports, DateTimeOffset now, List<OfpMessage> output)
    {
        lock (_lock)
            _policy.ColdStart(dpid, ports, now, output);
    }

    private void Perform(GateOutput output, ulong dpid, List<OfpMessage>? sameSwitch, long turn, long? frameTimestamp = null)
    {
        try
        {
            PerformInTurn(output, dpid, sameSwitch, turn, frameTimestamp);
        }
        finally
        {
            lock (_dispatchTurn)
            {
                // Also when the audit append threw: the next step's turn must come.
                _dispatched = Math.Max(_dispatched, turn);
                Monitor.PulseAll(_dispatchTurn);
            }
        }
    }

    private void PerformInTurn(GateOutput output, ulong dpid, List<OfpMessage>? sameSwitch, long turn, long? frameTimestamp)
    {
        // Audit first: a VERDICT is only sent once its record is durable.
        ValueTask durable = default;
        if (output.Audit.Count > 0)
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            _audit.Append(output.Audit);
            if (_sink is not null)
            {
                try
                {
                    durable = _sink.WriteAsync(output.Audit);
                }
                catch (Exception e)
                {
                    durable = ValueTask.FromException(e);
                }
            }
            if (durable.IsCompletedSuccessfully)
                GateMetrics.AuditWriteLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            else
                durable = TimedAsync(durable, started);
        }
        lock (_dispatchTurn)
            while (_dispatched < turn - 1)
                Monitor.Wait(_dispatchTurn);
        // In policy order (after the turn): a rotation's verifier state is durable before its ROTATE leaves, and a
        // commit before anything that follows it.
        foreach (var state in output.ProofKeys)
            _store.SaveProofKeys(state);
        // Steps leave in policy order: one still waiting for its store commit holds back the later ones.
        lock (_dispatchLock)
        {
            if (_dispatchTail.IsCompleted && durable.IsCompletedSuccessfully)
            {
                Dispatch(output, dpid, sameSwitch, frameTimestamp);
                return;
            }
            _dispatchTail = DispatchWhenDurableAsync(_dispatchTail, durable.AsTask(), output, frameTimestamp);
        }
    }

    private static async ValueTask TimedAsync(ValueTask durable, long started)
    {
        await durable.ConfigureAwait(false);
        GateMetrics.AuditWriteLatency.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private async Task DispatchWhenDurableAsync(Task previous, Task durable, GateOutput output, long? frameTimestamp)
    {
        await previous.ConfigureAwait(false);
        try
        {
            await durable.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Not durable: what the entries describe is withheld (no VERDICT, no batch); the agents retry.
            _log.AuditWriteFailed(output.Messages.Count, output.Batches.Count, e.Message);
            return;
        }
        try
        {
            Dispatch(output, 0, null, frameTimestamp);
        }
        catch (Exception e)
        {
            _log.DispatchFailed(e);
        }
    }

    private void Dispatch(GateOutput output, ulong dpid, List<OfpMessage>? sameSwitch, long? frameTimestamp)
    {
        foreach (var entry in output.Audit)
        {
            if (entry.Event == "verdict" && _log.IsEnabled(LogLevel.Information))
                _log.Verdict(entry.Verdict, entry.Node, entry.Session, entry.Reason, entry.Cause is { } c ? $" cause {c}" : "", entry.Detail);
            GateMetrics.Record(entry, frameTimestamp);
            Audited?.Invoke(entry);
        }
        // Dropped frames are logged at Debug only: a flood must not become a flood of log lines (they are counted).
        if (output.Dropped.Count > 0 && _log.IsEnabled(LogLevel.Debug))
            foreach (var d in output.Dropped)
                _log.FrameDropped(d.DatapathId, d.Port, d.Reason, d.Detail);
        foreach (var (target, message) in output.Messages)
        {
            if (sameSwitch is not null && target == dpid)
                sameSwitch.Add(message);
            else
                _ = _switches.SendAsync(target, message).AsTask();
        }
        foreach (var batch in output.Batches)
            _ = RunBatchAsync(batch, frameTimestamp);
    }

    private async Task RunBatchAsync(GateBatch batch, long? frameTimestamp)
    {
        lock (_batchesLock)
            _batchesInFlight++;
        try
        {
            var failure = await _switches.SendBatchAsync(batch.DatapathId, batch.Messages).ConfigureAwait(false);
            // Never confirm on the dispatching thread (a switch that is not connected fails at once): it still holds its turn.
            await Task.Yield();
            Step(0, null, (p, now, o) => p.Confirm(batch.Ticket, failure, now, o), frameTimestamp: frameTimestamp);
        }
        catch (Exception e)
        {
            _log.BatchFailed(e, batch.Ticket, batch.DatapathId);
        }
        finally
        {
            TaskCompletionSource? drained = null;
            lock (_batchesLock)
            {
                if (--_batchesInFlight == 0)
                    (drained, _batchesDrained) = (_batchesDrained, null);
            }
            drained?.TrySetResult();
        }
    }

    /// <summary>
    /// Completes when no batch is in flight and no step waits for its store commit: every step taken so far has
    /// written its audit entries and sent (or withheld) what they describe. A batch ends in a Confirm step, which may
    /// start another batch, so this waits until the two are quiet together.
    /// </summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task batches, tail;
            lock (_batchesLock)
                batches = _batchesInFlight == 0 ? Task.CompletedTask : (_batchesDrained ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            lock (_dispatchLock)
                tail = _dispatchTail;
            if (batches.IsCompleted && tail.IsCompleted)
            {
                lock (_batchesLock)
                lock (_dispatchLock)
                    if (_batchesInFlight == 0 && ReferenceEquals(tail, _dispatchTail))
                        return;
                continue;
            }
            await Task.WhenAll(batches, tail).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Shutdown (the host calls this after the controller closed the switch sessions): batches still in flight fail
    /// or confirm and audit their outcome, and steps waiting for the store's group commit dispatch, before the audit
    /// log closes — otherwise their entries would meet a closed log and be lost. Bounded by
    /// <see cref="GateOptions.ShutdownDrainTimeout"/>; what is still pending then is logged and dropped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        using var limit = new CancellationTokenSource(Options.ShutdownDrainTimeout);
        try
        {
            await DrainAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _log.ShutdownBatchesLost(BatchesInFlight, Options.ShutdownDrainTimeout.TotalSeconds);
        }
        Dispose();
    }

    /// <summary>Closes at once, without draining (see <see cref="DisposeAsync"/>).</summary>
    public void Dispose()
    {
        lock (_lock)
            _policy.Dispose();
        _audit.Dispose();
    }
}

/// <summary>The gate's table-0 app factory: one <see cref="GateApp"/> per switch session, state in the service.</summary>
public sealed class GateAppFactory(GateService service) : ISwitchAppFactory
{
    public string Name => "attestation-gate";

    public IReadOnlyList<byte> Tables { get; } = [GateFlows.GateTable, GateFlows.DestinationTable];

    public ISwitchApp Create(ISwitchView sw) => new GateApp(service, sw);
}

/// <summary>
/// Per-switch adapter: forwards the session's events to the shared policy. It keeps only the port table it
/// last saw, to tell a port's address change from a mere state change.
/// </summary>
internal sealed class GateApp(GateService service, ISwitchView sw) : ISwitchApp
{
    private readonly Dictionary<uint, PortDesc> _ports = new();

    public void ColdStart(DateTimeOffset now, List<OfpMessage> output)
    {
        _ports.Clear();
        foreach (var (no, desc) in sw.Ports)
            _ports[no] = desc;
        service.ColdStart(sw.DatapathId, _ports.Values, now, output);
    }

    public void PacketIn(PacketIn message, DateTimeOffset now, List<OfpMessage> output) =>
        service.Step(sw.DatapathId, output, (p, t, o) => p.PacketIn(sw.DatapathId, message, t, o), now, System.Diagnostics.Stopwatch.GetTimestamp());

    public void FlowRemoved(FlowRemoved message, DateTimeOffset now, List<OfpMessage> output) =>
        service.Step(sw.DatapathId, output, (p, t, o) => p.FlowRemoved(sw.DatapathId, message, t, o), now);

    public void PortStatus(PortStatus message, DateTimeOffset now, List<OfpMessage> output)
    {
        var previous = _ports.GetValueOrDefault(message.Desc.PortNo);
        if (message.Reason == PortStatusReason.Delete)
            _ports.Remove(message.Desc.PortNo);
        else
            _ports[message.Desc.PortNo] = message.Desc;
        service.Step(sw.DatapathId, output, (p, t, o) => p.PortStatus(sw.DatapathId, message, previous, t, o), now);
    }
}
