using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SwitchGate.Jobs.Codec;

/// <summary>
/// A JSON object read under a fixed schema: bounded size and depth, no duplicate or unknown members, every value of
/// the expected type and range. Nothing is deserialized into types chosen by the input. Every refusal is a
/// <see cref="JobFormatException"/>.
/// </summary>
internal sealed class StrictJson
{
    private readonly string _what;
    private readonly Dictionary<string, JsonElement> _members = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private StrictJson(string what, JsonElement element)
    {
        _what = what;
        if (element.ValueKind != JsonValueKind.Object)
            throw Fail($"expected a JSON object, got {element.ValueKind}");
        foreach (var member in element.EnumerateObject())
        {
            if (!_members.TryAdd(member.Name, member.Value))
                throw Fail($"member '{Printable(member.Name)}' appears twice");
        }
    }

    /// <summary>Parses a whole document; <paramref name="maxBytes"/> is checked before any parsing.</summary>
    public static StrictJson Parse(string what, ReadOnlySpan<byte> bytes, int maxBytes)
    {
        if (bytes.Length == 0)
            throw new JobFormatException(what, "empty");
        if (bytes.Length > maxBytes)
            throw new JobFormatException(what, $"{bytes.Length} bytes, more than the limit of {maxBytes}");
        // System.Text.Json validates UTF-8 lazily (when a string is read); refuse it before anything is read.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
            throw new JobFormatException(what, "not valid UTF-8");
        try
        {
            using var document = JsonDocument.Parse(bytes.ToArray(), new JsonDocumentOptions
            {
                MaxDepth = 4,
                AllowTrailingCommas = false,
                CommentHandling = JsonCommentHandling.Disallow,
            });
            return new StrictJson(what, document.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new JobFormatException(what, $"not valid JSON ({e.Message})");
        }
    }

    public StrictJson Object(string name) => new($"{_what}.{name}", Take(name, JsonValueKind.Object));

    public StrictJson? OptionalObject(string name) =>
        Has(name) ? Object(name) : null;

    public string String(string name, int maxBytes, bool printableAscii = true)
    {
        var value = Take(name, JsonValueKind.String).GetString()!;
        if (Encoding.UTF8.GetByteCount(value) > maxBytes)
            throw Fail($"'{name}' is longer than {maxBytes} bytes");
        if (printableAscii && value.Any(c => c is < ' ' or > '~'))
            throw Fail($"'{name}' holds a character outside printable ASCII");
        return value;
    }

    public string? OptionalString(string name, int maxBytes, bool printableAscii = true) =>
        Has(name) ? String(name, maxBytes, printableAscii) : null;

    public long Integer(string name, long min, long max)
    {
        var element = Take(name, JsonValueKind.Number);
        if (!element.TryGetInt64(out var value))
            throw Fail($"'{name}' is not an integer");
        if (value < min || value > max)
            throw Fail($"'{name}' = {value} is outside {min}..{max}");
        return value;
    }

    public IEnumerable<StrictJson> Array(string name, int maxItems)
    {
        var element = Take(name, JsonValueKind.Array);
        if (element.GetArrayLength() > maxItems)
            throw Fail($"'{name}' has more than {maxItems} entries");
        var i = 0;
        return element.EnumerateArray().Select(e => new StrictJson($"{_what}.{name}[{i++}]", e)).ToList();
    }

    public DateTimeOffset Time(string name)
    {
        var text = String(name, 40);
        return DateTimeOffset.TryParseExact(text, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at : throw Fail($"'{name}' is not an ISO 8601 round-trip time");
    }

    public string Hex(string name, int bytes)
    {
        var text = String(name, bytes * 2);
        return text.Length == bytes * 2 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f')
            ? text : throw Fail($"'{name}' is not {bytes * 2} lowercase hex digits");
    }

    public TEnum Enum<TEnum>(string name) where TEnum : struct, System.Enum
    {
        var text = String(name, 32);
        return System.Enum.TryParse<TEnum>(text, ignoreCase: false, out var value) && System.Enum.IsDefined(value)
               && text.All(char.IsAsciiLetter)
            ? value : throw Fail($"'{name}' = '{text}' is not one of {string.Join(", ", System.Enum.GetNames<TEnum>())}");
    }

    /// <summary>Refuses members the schema does not know (a writer of a newer format, or an attempt to smuggle data).</summary>
    public void End()
    {
        var unknown = _members.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw Fail($"unknown member '{Printable(unknown[0])}'");
    }

    public void Require(string name, string expected)
    {
        var value = String(name, 64);
        if (value != expected)
            throw Fail($"'{name}' is '{value}', expected '{expected}'");
    }

    public JobFormatException Fail(string reason) => new(_what, reason);

    private bool Has(string name)
    {
        if (_members.TryGetValue(name, out var e) && e.ValueKind == JsonValueKind.Null)
        {
            _read.Add(name);
            return false;
        }
        return _members.ContainsKey(name);
    }

    private JsonElement Take(string name, JsonValueKind kind)
    {
        if (!_members.TryGetValue(name, out var element))
            throw Fail($"'{name}' is missing");
        if (element.ValueKind != kind)
            throw Fail($"'{name}' should be {kind}, is {element.ValueKind}");
        _read.Add(name);
        return element;
    }

    private static string Printable(string s) => new(s.Take(40).Select(c => c is < ' ' or > '~' ? '?' : c).ToArray());
}
