using System.Globalization;

namespace SwitchGate.LoadGen;

/// <summary>Minimal "--name value" parsing with one clear error per problem.</summary>
internal sealed class Args
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public Args(IEnumerable<string> args)
    {
        string? name = null;
        foreach (var a in args)
        {
            if (name is null)
            {
                if (!a.StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"unexpected argument '{a}'");
                name = a;
            }
            else
            {
                _values[name] = a;
                name = null;
            }
        }
        if (name is not null)
            throw new UsageException($"{name} needs a value");
    }

    public string String(string name, string fallback)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name, fallback);
    }

    public string? OptionalString(string name)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public int Int(string name, int fallback, int min, int max)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var text))
            return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw new UsageException($"{name}: '{text}' is not an integer in {min}..{max}");
        return value;
    }

    public double Double(string name, double fallback, double min, double max)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var text))
            return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || value < min || value > max)
            throw new UsageException($"{name}: '{text}' is not a number in {min}..{max}");
        return value;
    }

    /// <summary>Call after reading every option: an unknown option is an error, not silently ignored.</summary>
    public void EnsureAllUsed()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"unknown option(s): {string.Join(", ", unknown)}");
    }
}

internal sealed class UsageException(string message) : Exception(message);
