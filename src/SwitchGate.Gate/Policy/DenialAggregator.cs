using SwitchGate.Attestation;

namespace SwitchGate.Gate.Policy;

/// <summary>
/// Keeps a flood of denials out of the audit log (docs/gate.md "Audit log"): the first denial of a node for a
/// reason is audited as usual and opens a window; further denials of that node for that reason inside the window
/// are only counted; when the window has passed, one <c>denials_aggregated</c> record carries their count. So a
/// flood writes at most two records per window per (node, reason), whatever its rate. Pure: times are passed in.
/// </summary>
public sealed class DenialAggregator(TimeSpan window)
{
    private readonly Dictionary<(string Node, ReasonCode Reason), Window> _windows = new();

    /// <summary>Windows with denials counted and not yet reported.</summary>
    public int Open => _windows.Count;

    /// <summary>
    /// A denial at <paramref name="now"/>: true when it must be audited one by one (no window open for it, or the
    /// window has passed; the passed window's record, if any, is added to <paramref name="closed"/> first).
    /// </summary>
    public bool ShouldAudit(string node, ReasonCode reason, DateTimeOffset now, uint? port, ulong? datapathId, List<AuditEntry> closed)
    {
        var key = (node, reason);
        if (_windows.TryGetValue(key, out var w))
        {
            if (now < w.Start + window)
            {
                w.Count++;
                w.Last = now;
                return false;
            }
            _windows.Remove(key);
            if (w.Count > 0)
                closed.Add(Record(key, w, now));
        }
        if (window > TimeSpan.Zero)
            _windows[key] = new Window(now, datapathId, port);
        return true;
    }

    /// <summary>Closes every window that has passed by <paramref name="now"/>: one record each for those that counted denials.</summary>
    public void Flush(DateTimeOffset now, List<AuditEntry> closed)
    {
        foreach (var (key, w) in _windows.Where(kv => now >= kv.Value.Start + window).ToList())
        {
            _windows.Remove(key);
            if (w.Count > 0)
                closed.Add(Record(key, w, now));
        }
    }

    private static AuditEntry Record((string Node, ReasonCode Reason) key, Window w, DateTimeOffset now) => new()
    {
        Time = now, Event = "denials_aggregated", Node = key.Node, DatapathId = w.DatapathId, Port = w.Port,
        Verdict = VerdictKind.Denied, Reason = key.Reason, Count = w.Count, Since = w.Start,
        Detail = $"{w.Count} more denials for {key.Reason} from {w.Start:O} to {w.Last:O} were answered and counted, not audited one by one",
    };

    private sealed class Window(DateTimeOffset start, ulong? datapathId, uint? port)
    {
        public DateTimeOffset Start { get; } = start;
        public ulong? DatapathId { get; } = datapathId;
        public uint? Port { get; } = port;
        public long Count { get; set; }
        public DateTimeOffset Last { get; set; } = start;
    }
}
