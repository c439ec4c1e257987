using System.Diagnostics;

namespace SwitchGate.LoadGen;

/// <summary>
/// Response latencies: 1 µs buckets up to 10 ms, then 1 ms buckets up to 10 s. One per switch (single writer,
/// no locks), merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int FineBuckets = 10_000;
    private const int CoarseBuckets = 10_000;
    private readonly long[] _counts = new long[FineBuckets + CoarseBuckets + 1];

    public long Count { get; private set; }

    public void RecordTicks(long stopwatchTicks)
    {
        long us = stopwatchTicks * 1_000_000 / Stopwatch.Frequency;
        int bucket = us < FineBuckets ? (int)Math.Max(us, 0)
            : (int)Math.Min(FineBuckets + ((us - FineBuckets) / 1000), FineBuckets + CoarseBuckets);
        _counts[bucket]++;
        Count++;
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
            _counts[i] += other._counts[i];
        Count += other.Count;
    }

    /// <summary>The upper edge (µs) of the bucket holding quantile <paramref name="q"/>; NaN when empty.</summary>
    public double PercentileMicros(double q)
    {
        if (Count == 0)
            return double.NaN;
        long rank = (long)Math.Ceiling(q * Count);
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
                return i < FineBuckets ? i + 1 : FineBuckets + ((i - FineBuckets + 1) * 1000.0);
        }
        return double.PositiveInfinity;
    }

    public void Clear()
    {
        Array.Clear(_counts);
        Count = 0;
    }
}
