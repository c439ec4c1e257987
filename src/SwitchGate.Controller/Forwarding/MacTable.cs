namespace SwitchGate.Controller.Forwarding;

/// <summary>What <see cref="MacTable.Learn"/> decided about a source MAC seen on a port.</summary>
public enum LearnOutcome
{
    /// <summary>The MAC was unknown: install its flows.</summary>
    Learned,
    /// <summary>Known on this port and its flows were installed recently: they are probably still in flight, install nothing.</summary>
    Known,
    /// <summary>Known on this port, but installed long ago: the switch lost or never kept the flows, install them again.</summary>
    Reinstall,
    /// <summary>Known on another port: remove the old flows, install new ones.</summary>
    Moved,
}

/// <summary>Result of <see cref="MacTable.Learn"/>. Cookies identify one installation of a MAC's flows.</summary>
public readonly record struct LearnResult(
    LearnOutcome Outcome,
    ulong Cookie,
    uint OldPort,
    ulong OldCookie,
    bool Evicted,
    ulong EvictedMac,
    ulong EvictedCookie);

/// <summary>
/// The learned MACs of ONE switch: MAC → (port, cookie), bounded, evicting the least recently
/// (re)learned entry when full. Pure and single-threaded; time is passed in.
/// Storage is a pair of arrays with an intrusive doubly linked recency list, so learning does
/// not allocate once the arrays have grown.
/// </summary>
public sealed class MacTable
{
    private const int None = -1;

    private struct Entry
    {
        public ulong Mac;
        public uint Port;
        public ulong Cookie;
        public long InstalledAt;
        public int Prev;
        public int Next;
    }

    private readonly int _capacity;
    private readonly ulong _cookieTag;
    private readonly long _reinstallAfterTicks;
    private readonly Dictionary<ulong, int> _index = new();
    private Entry[] _entries;
    private int _used;
    private int _free = None;
    private int _head = None; // most recently (re)learned
    private int _tail = None; // least recently (re)learned: evicted first
    private ulong _generation;

    /// <param name="capacity">Maximum number of MACs.</param>
    /// <param name="cookieTag">Upper 16 bits of every cookie handed out (identifies the owning app).</param>
    /// <param name="reinstallAfter">A MAC seen again on the same port is reinstalled only if its flows are older than this.</param>
    public MacTable(int capacity, ushort cookieTag, TimeSpan reinstallAfter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _cookieTag = (ulong)cookieTag << 48;
        _reinstallAfterTicks = reinstallAfter.Ticks;
        _entries = new Entry[Math.Min(capacity, 64)];
    }

    public int Count => _index.Count;
    public int Capacity => _capacity;

    public bool TryGetPort(ulong mac, out uint port)
    {
        if (_index.TryGetValue(mac, out var i))
        {
            port = _entries[i].Port;
            return true;
        }
        port = 0;
        return false;
    }

    public bool TryGet(ulong mac, out uint port, out ulong cookie)
    {
        if (_index.TryGetValue(mac, out var i))
        {
            port = _entries[i].Port;
            cookie = _entries[i].Cookie;
            return true;
        }
        port = 0;
        cookie = 0;
        return false;
    }

    /// <summary>Records that <paramref name="mac"/> sent a frame into <paramref name="port"/> at <paramref name="now"/>.</summary>
    public LearnResult Learn(ulong mac, uint port, DateTimeOffset now)
    {
        long t = now.UtcTicks;
        if (_index.TryGetValue(mac, out var i))
        {
            ref var e = ref _entries[i];
            if (e.Port == port && t - e.InstalledAt < _reinstallAfterTicks)
                return new LearnResult(LearnOutcome.Known, e.Cookie, port, e.Cookie, false, 0, 0);
            var outcome = e.Port == port ? LearnOutcome.Reinstall : LearnOutcome.Moved;
            uint oldPort = e.Port;
            ulong oldCookie = e.Cookie;
            e.Port = port;
            e.Cookie = NextCookie();
            e.InstalledAt = t;
            MoveToHead(i);
            return new LearnResult(outcome, e.Cookie, oldPort, oldCookie, false, 0, 0);
        }

        bool evicted = false;
        ulong evictedMac = 0, evictedCookie = 0;
        if (_index.Count >= _capacity)
        {
            int victim = _tail;
            evicted = true;
            evictedMac = _entries[victim].Mac;
            evictedCookie = _entries[victim].Cookie;
            RemoveAt(victim);
        }

        int slot = Allocate();
        ref var n = ref _entries[slot];
        n.Mac = mac;
        n.Port = port;
        n.Cookie = NextCookie();
        n.InstalledAt = t;
        n.Prev = None;
        n.Next = None;
        LinkAtHead(slot);
        _index.Add(mac, slot);
        return new LearnResult(LearnOutcome.Learned, n.Cookie, 0, 0, evicted, evictedMac, evictedCookie);
    }

    /// <summary>Forgets <paramref name="mac"/> if it is still the installation identified by <paramref name="cookie"/>.</summary>
    public bool Remove(ulong mac, ulong cookie)
    {
        if (!_index.TryGetValue(mac, out var i) || _entries[i].Cookie != cookie)
            return false;
        RemoveAt(i);
        return true;
    }

    /// <summary>Forgets every MAC learned on <paramref name="port"/>; returns them (rare: port down).</summary>
    public List<ulong> RemovePort(uint port)
    {
        var removed = new List<ulong>();
        for (int i = _head; i != None;)
        {
            int next = _entries[i].Next;
            if (_entries[i].Port == port)
            {
                removed.Add(_entries[i].Mac);
                RemoveAt(i);
            }
            i = next;
        }
        return removed;
    }

    public void Clear()
    {
        _index.Clear();
        _used = 0;
        _free = _head = _tail = None;
    }

    private ulong NextCookie() => _cookieTag | (++_generation & 0x0000_FFFF_FFFF_FFFF);

    private int Allocate()
    {
        if (_free != None)
        {
            int f = _free;
            _free = _entries[f].Next;
            return f;
        }
        if (_used == _entries.Length)
            Array.Resize(ref _entries, Math.Min(_capacity, _entries.Length * 2));
        return _used++;
    }

    private void RemoveAt(int i)
    {
        _index.Remove(_entries[i].Mac);
        Unlink(i);
        _entries[i].Next = _free;
        _free = i;
    }

    private void MoveToHead(int i)
    {
        if (_head == i)
            return;
        Unlink(i);
        LinkAtHead(i);
    }

    private void LinkAtHead(int i)
    {
        _entries[i].Prev = None;
        _entries[i].Next = _head;
        if (_head != None)
            _entries[_head].Prev = i;
        _head = i;
        if (_tail == None)
            _tail = i;
    }

    private void Unlink(int i)
    {
        ref var e = ref _entries[i];
        if (e.Prev != None) _entries[e.Prev].Next = e.Next; else _head = e.Next;
        if (e.Next != None) _entries[e.Next].Prev = e.Prev; else _tail = e.Prev;
        e.Prev = e.Next = None;
    }
}
