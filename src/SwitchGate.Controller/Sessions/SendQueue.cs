using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Sessions;

/// <summary>
/// Messages waiting for a session's writer. Producers append (the reader a whole read's worth of
/// answers at once), the single writer swaps the whole pending list out under one lock acquisition,
/// so the lock is taken once per batch on each side, not once per message.
/// Bounded: <see cref="TryEnqueueAll"/> (the reader's path) drops what does not fit rather than stop
/// reading — a reader blocked on its own peer's slowness could deadlock with a switch that stops
/// reading until we read its replies — while <see cref="EnqueueAsync"/> (batches from services) waits
/// for room.
/// </summary>
internal sealed class SendQueue(int capacity)
{
    private readonly object _lock = new();
    private List<OfpMessage> _pending = new();
    private List<OfpMessage>? _spare = new();
    private TaskCompletionSource<bool>? _writerWaiting;
    private TaskCompletionSource<bool>? _roomWaiting;
    private bool _completed;

    public int Capacity { get; } = capacity;

    /// <summary>Appends as many of <paramref name="messages"/> as fit; returns how many were dropped (all of them once completed).</summary>
    public int TryEnqueueAll(List<OfpMessage> messages)
    {
        TaskCompletionSource<bool>? wake;
        int dropped;
        lock (_lock)
        {
            if (_completed)
                return messages.Count;
            int room = Math.Max(0, Capacity - _pending.Count);
            int take = Math.Min(room, messages.Count);
            if (take == messages.Count)
                _pending.AddRange(messages);
            else
                _pending.AddRange(messages.GetRange(0, take));
            dropped = messages.Count - take;
            wake = TakeWriterWaiter();
        }
        wake?.TrySetResult(true);
        return dropped;
    }

    /// <summary>Appends one message if it fits.</summary>
    public bool TryEnqueue(OfpMessage message)
    {
        TaskCompletionSource<bool>? wake;
        lock (_lock)
        {
            if (_completed || _pending.Count >= Capacity)
                return false;
            _pending.Add(message);
            wake = TakeWriterWaiter();
        }
        wake?.TrySetResult(true);
        return true;
    }

    /// <summary>Appends one message, waiting for room. Throws <see cref="InvalidOperationException"/> once completed.</summary>
    public async ValueTask EnqueueAsync(OfpMessage message, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            TaskCompletionSource<bool>? wake = null;
            lock (_lock)
            {
                if (_completed)
                    throw new InvalidOperationException("send queue completed");
                if (_pending.Count < Capacity)
                {
                    _pending.Add(message);
                    wake = TakeWriterWaiter();
                    wait = Task.CompletedTask;
                }
                else
                {
                    wait = (_roomWaiting ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
                }
            }
            if (wait.IsCompleted)
            {
                wake?.TrySetResult(true);
                return;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The writer's side: waits until something is pending and takes all of it. Returns null when the
    /// queue is completed and empty. Hand the list back with <see cref="Recycle"/>.
    /// </summary>
    public async ValueTask<List<OfpMessage>?> TakeAllAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            lock (_lock)
            {
                if (_pending.Count > 0)
                {
                    var taken = _pending;
                    _pending = _spare ?? new List<OfpMessage>();
                    _spare = null;
                    // Continuations run asynchronously, so completing inside the lock is safe.
                    _roomWaiting?.TrySetResult(true);
                    _roomWaiting = null;
                    return taken;
                }
                if (_completed)
                    return null;
                wait = (_writerWaiting ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Gives a list from <see cref="TakeAllAsync"/> back for reuse.</summary>
    public void Recycle(List<OfpMessage> list)
    {
        list.Clear();
        lock (_lock)
            _spare ??= list;
    }

    /// <summary>No more messages are accepted; the writer still gets what is pending.</summary>
    public void Complete()
    {
        TaskCompletionSource<bool>? writer, room;
        lock (_lock)
        {
            _completed = true;
            writer = _writerWaiting;
            room = _roomWaiting;
            _writerWaiting = _roomWaiting = null;
        }
        writer?.TrySetResult(false);
        room?.TrySetResult(false);
    }

    private TaskCompletionSource<bool>? TakeWriterWaiter()
    {
        var w = _writerWaiting;
        _writerWaiting = null;
        return w;
    }
}
