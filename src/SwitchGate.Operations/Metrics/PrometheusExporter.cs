using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using SwitchGate.Controller;
using SwitchGate.Gate;

namespace SwitchGate.Operations.Metrics;

/// <summary>A gauge read when /metrics is scraped.</summary>
public sealed record GaugeSample(string Name, string Help, double Value, bool Monotonic = false);

/// <summary>
/// The controller's and the gate's System.Diagnostics.Metrics instruments as Prometheus text exposition format
/// 0.0.4 (docs/operations.md "Metrics"): counters as <c>NAME_total</c>, histograms as cumulative
/// <c>NAME_bucket{le=…}</c>, <c>NAME_sum</c>, <c>NAME_count</c>, plus gauges read at scrape time. A small
/// hand-written exporter: the two meters need nothing more, and it keeps the controller free of a metrics library.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Upper bounds of the latency histograms, seconds (attestation targets are 5 ms p50 and 15 ms p99).</summary>
    public static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly object _lock = new();
    private readonly Dictionary<string, Family> _families = new(StringComparer.Ordinal);
    private readonly Func<IEnumerable<GaugeSample>> _gauges;

    public PrometheusExporter(Func<IEnumerable<GaugeSample>> gauges)
    {
        _gauges = gauges;
        // Touch both meters so their instruments exist (and are exported at 0) before anything was counted.
        _ = ControllerMetrics.PacketIns;
        _ = GateMetrics.Verdicts;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name is not (ControllerMetrics.MeterName or GateMetrics.MeterName))
                return;
            lock (_lock)
                _families.TryAdd(instrument.Name, new Family(instrument.Name, instrument.Description ?? "", instrument is Histogram<double>));
            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument.Name, tags, value));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Observe(instrument.Name, tags, value));
        _listener.Start();
    }

    private sealed class Family(string name, string help, bool histogram)
    {
        public string Name { get; } = name;
        public string Help { get; } = help;
        public bool IsHistogram { get; } = histogram;
        public Dictionary<string, double> Counters { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Histogram> Histograms { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Histogram
    {
        public long[] Counts { get; } = new long[Buckets.Length];
        public long Count;
        public double Sum;
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
            return "";
        var pairs = new List<string>(tags.Length);
        foreach (var tag in tags)
            pairs.Add($"{tag.Key}=\"{Escape(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")}\"");
        pairs.Sort(StringComparer.Ordinal);
        return string.Join(',', pairs);
    }

    /// <summary>Label values escape backslash, double quote and newline (text format 0.0.4).</summary>
    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private void Add(string name, ReadOnlySpan<KeyValuePair<string, object?>> tags, long value)
    {
        var labels = Labels(tags);
        lock (_lock)
        {
            var counters = _families[name].Counters;
            counters[labels] = counters.GetValueOrDefault(labels) + value;
        }
    }

    private void Observe(string name, ReadOnlySpan<KeyValuePair<string, object?>> tags, double value)
    {
        var labels = Labels(tags);
        lock (_lock)
        {
            var family = _families[name];
            if (!family.Histograms.TryGetValue(labels, out var h))
                family.Histograms[labels] = h = new Histogram();
            int i = Array.FindIndex(Buckets, b => value <= b);
            if (i >= 0)
                h.Counts[i]++;
            h.Count++;
            h.Sum += value;
        }
    }

    private static string Number(double value) => double.IsPositiveInfinity(value) ? "+Inf" : value.ToString("R", CultureInfo.InvariantCulture);

    private static string Series(string name, string labels, string? extra = null)
    {
        var all = string.Join(',', new[] { labels, extra ?? "" }.Where(s => s.Length > 0));
        return all.Length == 0 ? name : $"{name}{{{all}}}";
    }

    /// <summary>The exposition, text/plain; version=0.0.4.</summary>
    public string Render()
    {
        var text = new StringBuilder();
        foreach (var gauge in _gauges())
        {
            text.Append("# HELP ").Append(gauge.Name).Append(' ').Append(gauge.Help).Append('\n');
            text.Append("# TYPE ").Append(gauge.Name).Append(gauge.Monotonic ? " counter\n" : " gauge\n");
            text.Append(gauge.Name).Append(' ').Append(Number(gauge.Value)).Append('\n');
        }
        lock (_lock)
        {
            foreach (var family in _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                if (family.IsHistogram)
                {
                    text.Append("# HELP ").Append(family.Name).Append(' ').Append(family.Help).Append('\n');
                    text.Append("# TYPE ").Append(family.Name).Append(" histogram\n");
                    foreach (var (labels, h) in family.Histograms.OrderBy(p => p.Key, StringComparer.Ordinal))
                    {
                        long cumulative = 0;
                        for (int i = 0; i < Buckets.Length; i++)
                        {
                            cumulative += h.Counts[i];
                            text.Append(Series(family.Name + "_bucket", labels, $"le=\"{Number(Buckets[i])}\"")).Append(' ').Append(cumulative).Append('\n');
                        }
                        text.Append(Series(family.Name + "_bucket", labels, "le=\"+Inf\"")).Append(' ').Append(h.Count).Append('\n');
                        text.Append(Series(family.Name + "_sum", labels)).Append(' ').Append(Number(h.Sum)).Append('\n');
                        text.Append(Series(family.Name + "_count", labels)).Append(' ').Append(h.Count).Append('\n');
                    }
                }
                else
                {
                    var name = family.Name + "_total";
                    text.Append("# HELP ").Append(name).Append(' ').Append(family.Help).Append('\n');
                    text.Append("# TYPE ").Append(name).Append(" counter\n");
                    if (family.Counters.Count == 0)
                        text.Append(name).Append(" 0\n");
                    foreach (var (labels, value) in family.Counters.OrderBy(p => p.Key, StringComparer.Ordinal))
                        text.Append(Series(name, labels)).Append(' ').Append(Number(value)).Append('\n');
                }
            }
        }
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();
}
