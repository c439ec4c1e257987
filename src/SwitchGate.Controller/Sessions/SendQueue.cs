using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Sessions;

/// <summary>A message to write, with the xid to put in its header (tracked batches get theirs here, no record copy).</summary>
internal readonly record struct Outgoing(OfpMessage Message, uint Xid);

/// <summary>
/// Messages waiting to be written to one switch. Producers append (the reader a whole read's worth of
/// answers, a batch as many messages as fit, each under one lock acquisition); whoever drains swaps the
/// whole pending list out at once. So the lock is taken per read / per flush, not per message.
/// Bounded: <see cref="TryEnqueueAll"/> (the reader's path) drops what does not fit rather than stop
/// reading — a reader blocked on its peer's slowness could deadlock with a switch that stops reading
/// until we read its replies — while <see cref="EnqueueAsync"/> (services, batches) waits for room.
/// </summary>
internal sealed class SendQueue(int capacity)
{
    private readonly object _lock = new();
    private List<Outgoing> _pending = new();
    private List<Outgoing>? _spare = new();
    private TaskCompletionSource<bool>? _roomWaiting;
    private bool _completed;

    public int Capacity { get; } = capacity;

    public bool IsEmpty
    {
        get { lock (_lock) return _pending.Count == 0; }
    }

    /// <summary>Appends as many of <paramref name="messages"/> as fit; returns how many were dropped (all once completed).</summary>
    public int TryEnqueueAll(List<OfpMessage> messages)
    {
        lock (_lock)
        {
            if (_completed)
                return messages.Count;
            int take = Math.Min(Math.Max(0, Capacity - _pending.Count), messages.Count);
            for (int i = 0; i < take; i++)
                _pending.Add(new Outgoing(messages[i], messages[i].Xid));
            return messages.Count - take;
        }
    }

    /// <summary>Appends one message if it fits.</summary>
    public bool TryEnqueue(OfpMessage message)
    {
        lock (_lock)
        {
            if (_completed || _pending.Count >= Capacity)
                return false;
            _pending.Add(new Outgoing(message, message.Xid));
            return true;
        }
    }

    /// <summary>
    /// Appends <paramref name="messages"/>[start..] with xids <paramref name="firstXid"/>+i, as many as fit,
    /// waiting for room when full. Returns the number appended (at least one). Throws
    /// <see cref="InvalidOperationException"/> once completed.
    /// </summary>
    public async ValueTask<int> EnqueueSomeAsync(IReadOnlyList<OfpMessage> messages, int start, uint firstXid, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_completed)
                    throw new InvalidOperationException("send queue completed");
                int take = Math.Min(Capacity - _pending.Count, messages.Count - start);
                if (take > 0)
                {
                    for (int i = start; i < start + take; i++)
                        _pending.Add(new Outgoing(messages[i], unchecked(firstXid + (uint)i)));
                    return take;
                }
                wait = (_roomWaiting ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes everything pending, if anything. Hand the list back with <see cref="Recycle"/>.</summary>
    public bool TryTakeAll(out List<Outgoing> taken)
    {
        lock (_lock)
        {
            if (_pending.Count == 0)
            {
                taken = null!;
                return false;
            }
            taken = _pending;
            _pending = _spare ?? new List<Outgoing>();
            _spare = null;
            // Continuations run asynchronously, so completing inside the lock is safe.
            _roomWaiting?.TrySetResult(true);
            _roomWaiting = null;
            return true;
        }
    }

    /// <summary>Gives a list from <see cref="TryTakeAll"/> back for reuse.</summary>
    public void Recycle(List<Outgoing> list)
    {
        list.Clear();
        lock (_lock)
            _spare ??= list;
    }

    /// <summary>No more messages are accepted; what is pending can still be taken.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? room;
        lock (_lock)
        {
            _completed = true;
            room = _roomWaiting;
            _roomWaiting = null;
        }
        room?.TrySetResult(false);
    }
}
