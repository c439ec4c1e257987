using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Sessions;

/// <summary>
/// Transaction ids of the requests a session has outstanding (OpenFlow 1.3.5 §6.2: a reply or an
/// ERROR carries the xid of the request it answers). Two kinds of waiters:
/// a single request (echo, multipart, ...) completed by its reply or failed by an ERROR, and a
/// batch: a contiguous xid range closed by a BARRIER_REQUEST. Because a switch must finish every
/// message before answering the barrier (§6.4), a batch completes when its BARRIER_REPLY arrives,
/// failing with every ERROR that named an xid of the range. Thread-safe.
/// </summary>
public sealed class XidTracker
{
    private readonly object _lock = new();
    private readonly Dictionary<uint, TaskCompletionSource<OfpMessage>> _requests = new();
    private readonly List<PendingBatch> _batches = new();
    private uint _next = 1;
    private Exception? _closed;

    private sealed class PendingBatch(uint first, uint count, IReadOnlyList<OfpMessage> messages)
    {
        public readonly uint First = first;
        public readonly uint Count = count; // messages + the barrier
        public readonly IReadOnlyList<OfpMessage> Messages = messages;
        public readonly TaskCompletionSource Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<(ErrorMsg Error, OfpMessage? Request)>? Errors;
        public Exception? LocalFailure;
        public uint BarrierXid => unchecked(First + Count - 1);
        public bool Contains(uint xid) => unchecked(xid - First) < Count;
    }

    public int Outstanding
    {
        get { lock (_lock) return _requests.Count + _batches.Count; }
    }

    /// <summary>Reserves <paramref name="count"/> consecutive xids; 0 is never handed out (it marks fire-and-forget messages).</summary>
    public uint Reserve(int count)
    {
        lock (_lock)
            return ReserveLocked((uint)count);
    }

    private uint ReserveLocked(uint count)
    {
        // Keep a range from wrapping through 0 so that 0 stays free for unsolicited messages.
        if (unchecked(_next + count) < _next || _next == 0)
            _next = 1;
        uint first = _next;
        _next = unchecked(_next + count);
        return first;
    }

    /// <summary>Allocates an xid and a waiter completed by the reply with that xid.</summary>
    public (uint Xid, Task<OfpMessage> Reply) Register()
    {
        var tcs = new TaskCompletionSource<OfpMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_closed is not null)
                tcs.SetException(_closed);
            uint xid = ReserveLocked(1);
            if (_closed is null)
                _requests.Add(xid, tcs);
            return (xid, tcs.Task);
        }
    }

    /// <summary>
    /// Allocates xids for <paramref name="messages"/> plus a trailing barrier. Returns the first xid
    /// (message i gets first+i, the barrier first+count) and a task completed by the barrier reply.
    /// </summary>
    public (uint FirstXid, uint BarrierXid, Task Done) RegisterBatch(IReadOnlyList<OfpMessage> messages)
    {
        lock (_lock)
        {
            uint first = ReserveLocked((uint)messages.Count + 1);
            var batch = new PendingBatch(first, (uint)messages.Count + 1, messages);
            if (_closed is not null)
                batch.Completion.SetException(_closed);
            else
                _batches.Add(batch);
            return (first, batch.BarrierXid, batch.Completion.Task);
        }
    }

    /// <summary>Completes the waiter of <paramref name="reply"/>'s xid (reply or barrier reply); false if nobody waited.</summary>
    public bool TryComplete(OfpMessage reply)
    {
        uint xid = reply.Xid;
        TaskCompletionSource<OfpMessage>? request;
        PendingBatch? done = null;
        lock (_lock)
        {
            if (!_requests.Remove(xid, out request))
            {
                for (int i = 0; i < _batches.Count; i++)
                {
                    if (_batches[i].BarrierXid == xid)
                    {
                        done = _batches[i];
                        _batches.RemoveAt(i);
                        break;
                    }
                }
            }
        }
        if (request is not null)
        {
            request.TrySetResult(reply);
            return true;
        }
        if (done is null)
            return false;
        if (done.LocalFailure is not null)
            done.Completion.TrySetException(done.LocalFailure);
        else if (done.Errors is null)
            done.Completion.TrySetResult();
        else
            done.Completion.TrySetException(new SwitchErrorException(done.Errors));
        return true;
    }

    /// <summary>Records an ERROR: fails a single request at once, or marks the batch containing the xid. False if unmatched.</summary>
    public bool TryFail(ErrorMsg error)
    {
        uint xid = error.Xid;
        TaskCompletionSource<OfpMessage>? request;
        lock (_lock)
        {
            if (!_requests.Remove(xid, out request))
            {
                foreach (var b in _batches)
                {
                    if (!b.Contains(xid))
                        continue;
                    uint index = unchecked(xid - b.First);
                    (b.Errors ??= new()).Add((error, index < b.Messages.Count ? b.Messages[(int)index] : null));
                    return true;
                }
                return false;
            }
        }
        request.TrySetException(new SwitchErrorException([(error, null)]));
        return true;
    }

    /// <summary>
    /// The caller stopped waiting for <paramref name="xid"/> (a request's xid or a batch's barrier xid), e.g. because it
    /// was cancelled: its waiter leaves the tracker, and a late reply with that xid counts as unsolicited. Without this,
    /// every cancelled request would stay outstanding for the rest of the session. No-op when already completed.
    /// </summary>
    public void Abandon(uint xid)
    {
        lock (_lock)
        {
            if (_requests.Remove(xid))
                return;
            for (int i = 0; i < _batches.Count; i++)
            {
                if (_batches[i].BarrierXid == xid)
                {
                    _batches.RemoveAt(i);
                    return;
                }
            }
        }
    }

    /// <summary>A message could not even be sent (it did not encode): fail whoever waits for its xid.</summary>
    public void FailLocally(uint xid, Exception problem)
    {
        if (xid == 0)
            return;
        var failure = new InvalidOperationException($"message xid {xid} was not sent: {problem.Message}", problem);
        TaskCompletionSource<OfpMessage>? request;
        lock (_lock)
        {
            if (!_requests.Remove(xid, out request))
            {
                foreach (var b in _batches)
                {
                    if (b.Contains(xid))
                    {
                        b.LocalFailure ??= failure;
                        return;
                    }
                }
                return;
            }
        }
        request.TrySetException(failure);
    }

    /// <summary>Fails every waiter, now and in future, with <paramref name="reason"/>.</summary>
    public void Close(Exception reason)
    {
        List<TaskCompletionSource<OfpMessage>> requests;
        List<PendingBatch> batches;
        lock (_lock)
        {
            if (_closed is not null)
                return;
            _closed = reason;
            requests = [.. _requests.Values];
            batches = [.. _batches];
            _requests.Clear();
            _batches.Clear();
        }
        foreach (var r in requests)
            r.TrySetException(reason);
        foreach (var b in batches)
            b.Completion.TrySetException(reason);
    }
}
