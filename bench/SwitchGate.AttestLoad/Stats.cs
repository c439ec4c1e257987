using System.Collections.Concurrent;
using System.Diagnostics;
using SwitchGate.Attestation;

namespace SwitchGate.AttestLoad;

/// <summary>
/// Verdict bookkeeping of a run. An exchange counts if its HELLO was sent inside the measured window.
/// Valid evidence must end Admitted (false reject otherwise); bad evidence must not (false accept otherwise).
/// </summary>
internal sealed class Stats
{
    private readonly object _lock = new();
    private readonly List<double> _validLatencyMs = new(64 * 1024);
    private readonly List<double> _badLatencyMs = new(4 * 1024);
    private readonly List<double> _tpmMs = new();
    private readonly List<double> _restMs = new();
    private long _windowStart = long.MaxValue;
    private long _windowEnd = long.MaxValue;

    public long Started, Overruns, Timeouts, Unsolicited, Misdirected, Malformed, UnexpectedChallenges;
    public long ValidAdmitted, ValidRenewed, FalseRejects, BadDenied, FalseAccepts;
    public long AllVerdicts, AllFalseRejects, AllFalseAccepts;
    public ConcurrentDictionary<string, long> Reasons { get; } = new();
    public ConcurrentDictionary<string, long> FalseVerdictDetails { get; } = new();

    public static void Count(ref long counter) => Interlocked.Increment(ref counter);

    public void OpenWindow() => Volatile.Write(ref _windowStart, Stopwatch.GetTimestamp());

    public void CloseWindow() => Volatile.Write(ref _windowEnd, Stopwatch.GetTimestamp());

    public bool InWindow(long ticks) => ticks >= Volatile.Read(ref _windowStart) && ticks < Volatile.Read(ref _windowEnd);

    public void Record(SimNode node, Verdict verdict, ExchangeResult? result)
    {
        if (result is not { } r)
        {
            Count(ref Unsolicited);
            Reasons.AddOrUpdate($"unsolicited {verdict.Kind}/{verdict.Reason}", 1, (_, n) => n + 1);
            return;
        }
        bool admitted = verdict.Kind == VerdictKind.Admitted;
        bool valid = r.Kind == EvidenceKind.Valid;
        bool falseVerdict = admitted != valid;
        Count(ref AllVerdicts);
        if (falseVerdict)
        {
            Count(ref valid ? ref AllFalseRejects : ref AllFalseAccepts);
            FalseVerdictDetails.AddOrUpdate($"{node.Name} {r.Kind} renewal={r.Renewal} → {verdict.Kind}/{verdict.Reason}{(verdict.Cause is { } c ? "/" + c : "")}", 1, (_, n) => n + 1);
        }
        if (!InWindow(r.HelloTicks))
            return;
        Reasons.AddOrUpdate($"{r.Kind} → {verdict.Kind}/{verdict.Reason}{(verdict.Cause is { } cause ? " cause " + cause : "")}", 1, (_, n) => n + 1);
        double ms = Stopwatch.GetElapsedTime(r.HelloTicks, r.VerdictTicks).TotalMilliseconds;
        lock (_lock)
        {
            (valid ? _validLatencyMs : _badLatencyMs).Add(ms);
            if (r.TpmMilliseconds > 0)
            {
                _tpmMs.Add(r.TpmMilliseconds);
                _restMs.Add(ms - r.TpmMilliseconds);
            }
        }
        if (valid)
        {
            if (!admitted)
                Count(ref FalseRejects);
            else if (verdict.Reason == ReasonCode.Renewed)
                Count(ref ValidRenewed);
            else
                Count(ref ValidAdmitted);
        }
        else
        {
            Count(ref admitted ? ref FalseAccepts : ref BadDenied);
        }
    }

    public (int Count, double P50, double P90, double P99, double Max) Latency(bool valid) => Percentiles(valid ? _validLatencyMs : _badLatencyMs);

    /// <summary>Real-TPM exchanges: the TPM's unseal + quote + PCR_Read, and everything else (total - TPM).</summary>
    public ((int Count, double P50, double P90, double P99, double Max) Tpm, (int Count, double P50, double P90, double P99, double Max) Others) TpmSplit() =>
        (Percentiles(_tpmMs), Percentiles(_restMs));

    private (int Count, double P50, double P90, double P99, double Max) Percentiles(List<double> samples)
    {
        double[] sorted;
        lock (_lock)
            sorted = [.. samples];
        Array.Sort(sorted);
        if (sorted.Length == 0)
            return (0, double.NaN, double.NaN, double.NaN, double.NaN);
        double At(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return (sorted.Length, At(0.50), At(0.90), At(0.99), sorted[^1]);
    }
}
