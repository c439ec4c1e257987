using System.Globalization;
using System.Text.RegularExpressions;

namespace SwitchGate.Operations.Tests;

/// <summary>One sample of a Prometheus text exposition.</summary>
public sealed record PromSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict parser of the Prometheus text exposition format 0.0.4, written for the tests: every line must be a
/// HELP, a TYPE or a sample; names and label names must be valid; label values must be properly escaped; each
/// family is declared once, before its samples, and its samples are contiguous; counters end in _total and never
/// go negative; a histogram has cumulative, non-decreasing buckets ending in le="+Inf" equal to _count.
/// Anything else throws <see cref="FormatException"/> naming the line.
/// </summary>
public static partial class PrometheusText
{
    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    public static IReadOnlyList<PromSample> Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
            throw new FormatException("the exposition must end with a newline");
        var samples = new List<PromSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helped = new HashSet<string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length - 1; i++)
        {
            var line = lines[i];
            string Where() => $"line {i + 1} '{line}'";
            if (line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ', 2);
                if (!MetricName().IsMatch(parts[0]))
                    throw new FormatException($"{Where()}: bad metric name");
                if (line[2] == 'H')
                {
                    if (!helped.Add(parts[0]))
                        throw new FormatException($"{Where()}: second HELP for {parts[0]}");
                }
                else
                {
                    if (parts.Length != 2 || parts[1] is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                        throw new FormatException($"{Where()}: bad TYPE");
                    if (types.ContainsKey(parts[0]))
                        throw new FormatException($"{Where()}: second TYPE for {parts[0]}");
                    if (parts[1] == "counter" && !parts[0].EndsWith("_total", StringComparison.Ordinal))
                        throw new FormatException($"{Where()}: a counter's name must end in _total");
                    types[parts[0]] = parts[1];
                }
                continue;
            }
            if (line.StartsWith('#'))
                continue;
            if (line.Length == 0)
                throw new FormatException($"{Where()}: empty line");
            var sample = ParseSample(line, Where);
            var family = FamilyOf(sample.Name, types);
            if (family is null)
                throw new FormatException($"{Where()}: sample without a TYPE");
            if (family != current)
            {
                if (current is not null)
                    finished.Add(current);
                if (finished.Contains(family))
                    throw new FormatException($"{Where()}: samples of {family} are not contiguous");
                current = family;
            }
            if (types[family] == "counter" && sample.Value < 0)
                throw new FormatException($"{Where()}: negative counter");
            samples.Add(sample);
        }
        foreach (var (family, type) in types.Where(t => t.Value == "histogram"))
            CheckHistogram(family, samples);
        return samples;
    }

    private static string? FamilyOf(string name, Dictionary<string, string> types)
    {
        if (types.ContainsKey(name))
            return name;
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
            if (name.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(name[..^suffix.Length], out var t) && t == "histogram")
                return name[..^suffix.Length];
        return null;
    }

    private static PromSample ParseSample(string line, Func<string> where)
    {
        int i = 0;
        while (i < line.Length && line[i] != '{' && line[i] != ' ')
            i++;
        var name = line[..i];
        if (!MetricName().IsMatch(name))
            throw new FormatException($"{where()}: bad metric name");
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                int start = i;
                while (line[i] != '=')
                    i++;
                var labelName = line[start..i];
                if (!LabelName().IsMatch(labelName))
                    throw new FormatException($"{where()}: bad label name '{labelName}'");
                if (line[++i] != '"')
                    throw new FormatException($"{where()}: label value must be quoted");
                var value = new System.Text.StringBuilder();
                for (i++; line[i] != '"'; i++)
                {
                    if (line[i] == '\\')
                    {
                        value.Append(line[++i] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"{where()}: bad escape"),
                        });
                    }
                    else
                    {
                        value.Append(line[i]);
                    }
                }
                if (!labels.TryAdd(labelName, value.ToString()))
                    throw new FormatException($"{where()}: label {labelName} twice");
                i++;
                if (line[i] == ',')
                    i++;
                else if (line[i] != '}')
                    throw new FormatException($"{where()}: expected , or }}");
            }
            i++;
        }
        if (i >= line.Length || line[i] != ' ')
            throw new FormatException($"{where()}: expected a space before the value");
        var rest = line[(i + 1)..].Split(' ');
        if (rest.Length > 2)
            throw new FormatException($"{where()}: trailing text");
        double number = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.TryParse(rest[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new FormatException($"{where()}: bad value"),
        };
        if (rest.Length == 2 && !long.TryParse(rest[1], out _))
            throw new FormatException($"{where()}: bad timestamp");
        return new PromSample(name, labels, number);
    }

    private static void CheckHistogram(string family, List<PromSample> samples)
    {
        var series = samples.Where(s => s.Name == family + "_bucket")
            .GroupBy(s => string.Join(',', s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key).Select(l => $"{l.Key}={l.Value}")));
        foreach (var group in series)
        {
            double previousLe = double.NegativeInfinity, previousCount = 0;
            foreach (var bucket in group)
            {
                if (!bucket.Labels.TryGetValue("le", out var leText))
                    throw new FormatException($"{family}: bucket without le");
                var le = leText == "+Inf" ? double.PositiveInfinity : double.Parse(leText, CultureInfo.InvariantCulture);
                if (le <= previousLe || bucket.Value < previousCount)
                    throw new FormatException($"{family}: buckets not increasing at le={leText}");
                previousLe = le;
                previousCount = bucket.Value;
            }
            if (!double.IsPositiveInfinity(previousLe))
                throw new FormatException($"{family}: no le=\"+Inf\" bucket");
            var count = samples.Single(s => s.Name == family + "_count" && Same(s, group.First()));
            if (count.Value != previousCount)
                throw new FormatException($"{family}: _count {count.Value} differs from the +Inf bucket {previousCount}");
            _ = samples.Single(s => s.Name == family + "_sum" && Same(s, group.First()));
        }
    }

    private static bool Same(PromSample a, PromSample bucket) =>
        a.Labels.Count == bucket.Labels.Count - 1 && a.Labels.All(l => bucket.Labels.TryGetValue(l.Key, out var v) && v == l.Value);

    public static double Sum(IEnumerable<PromSample> samples, string name, Func<IReadOnlyDictionary<string, string>, bool>? where = null) =>
        samples.Where(s => s.Name == name && (where is null || where(s.Labels))).Sum(s => s.Value);
}
