using System.Threading.Channels;
using SwitchGate.Operations.Store;

namespace SwitchGate.Operations.Events;

/// <summary>
/// The event stream's fan-out (docs/operations.md "Events"). Events arrive already numbered, in order, once they
/// are durable (<see cref="OperationsStore.Committed"/>), or numbered here when there is no store. The last
/// <c>capacity</c> events stay in a ring, so a client that reconnects with Last-Event-ID is served from memory;
/// an older position is read from the store. A subscriber gets everything after its position with no gap and no
/// duplicate: it is registered before the backlog is read, and live events it already got from the backlog are skipped.
/// A subscriber that falls <see cref="SubscriberBuffer"/> events behind is dropped (it reconnects and resumes).
/// </summary>
public sealed class EventHub
{
    public const int SubscriberBuffer = 8192;

    private readonly object _lock = new();
    private readonly StoredEvent[] _ring;
    private readonly OperationsStore? _store;
    private readonly List<Subscriber> _subscribers = [];
    private long _last;
    private int _count;

    public EventHub(int capacity, OperationsStore? store)
    {
        _ring = new StoredEvent[capacity];
        _store = store;
        _last = store?.LastSequence ?? 0;
        if (store is not null)
            store.Committed += Publish;
    }

    /// <summary>The sequence number of the newest event.</summary>
    public long Last
    {
        get
        {
            lock (_lock)
                return _last;
        }
    }

    /// <summary>Numbers and publishes an event when there is no store (memory only: resumable within the ring).</summary>
    public void PublishUnstored(DateTimeOffset time, string type, string data)
    {
        lock (_lock)
            Publish([new StoredEvent(_last + 1, time, type, data)]);
    }

    /// <summary>Publishes committed events (in order, consecutive numbers).</summary>
    public void Publish(IReadOnlyList<StoredEvent> events)
    {
        lock (_lock)
        {
            foreach (var e in events)
            {
                _ring[(int)(e.Sequence % _ring.Length)] = e;
                _count = Math.Min(_count + 1, _ring.Length);
                _last = e.Sequence;
                foreach (var s in _subscribers)
                    if (!s.Channel.Writer.TryWrite(e))
                        s.Channel.Writer.TryComplete(new EventStreamOverflowException());
            }
            _subscribers.RemoveAll(s => s.Channel.Reader.Completion.IsCompleted);
        }
    }

    /// <summary>
    /// Every event after <paramref name="after"/>, then live ones, until <paramref name="cancel"/>. Throws
    /// <see cref="EventStreamOverflowException"/> if the reader fell too far behind, <see cref="EventGapException"/>
    /// if the position is older than anything still kept (no store, and the ring moved on).
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> Read(long after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel)
    {
        var subscriber = new Subscriber(Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(SubscriberBuffer)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        }));
        List<StoredEvent> fromRing;
        long registeredAt;
        long oldestInRing;
        lock (_lock)
        {
            _subscribers.Add(subscriber);
            registeredAt = _last;
            oldestInRing = _last - _count + 1;
            fromRing = after >= oldestInRing - 1
                ? Enumerable.Range(0, (int)Math.Max(0, _last - after)).Select(i => _ring[(int)((after + 1 + i) % _ring.Length)]).ToList()
                : [];
        }
        try
        {
            if (after > registeredAt)
                after = registeredAt; // a position from the future (another store?) starts at now
            long position = after;
            if (after < oldestInRing - 1)
            {
                if (_store is null)
                    throw new EventGapException(after, oldestInRing);
                while (position < registeredAt)
                {
                    var page = _store.EventsAfter(position, 1000);
                    if (page.Count == 0)
                        break;
                    foreach (var e in page)
                    {
                        if (e.Sequence > registeredAt)
                            break;
                        position = e.Sequence;
                        yield return e;
                    }
                }
            }
            else
            {
                foreach (var e in fromRing)
                {
                    position = e.Sequence;
                    yield return e;
                }
            }
            await foreach (var e in subscriber.Channel.Reader.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                if (e.Sequence <= position)
                    continue;
                position = e.Sequence;
                yield return e;
            }
        }
        finally
        {
            lock (_lock)
                _subscribers.Remove(subscriber);
        }
    }

    private sealed record Subscriber(Channel<StoredEvent> Channel);
}

public sealed class EventStreamOverflowException() : Exception("the client fell too far behind the event stream; reconnect with Last-Event-ID");

public sealed class EventGapException(long after, long oldest)
    : Exception($"events after {after} are no longer kept (oldest kept: {oldest}); without a store only the last ones can be resumed");
