using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SwitchGate.Hypervisor.Qmp;

/// <summary>
/// Stateless QMP encoding and decoding. A server message is one JSON object on one line; anything else
/// (not JSON, not an object, none or several of the known top-level members, members of the wrong type,
/// nesting deeper than <see cref="MaxDepth"/>) is a <see cref="QmpException"/> with <see cref="QmpFailure.Malformed"/>.
/// </summary>
public static class QmpCodec
{
    /// <summary>Deep enough for every reply we ask for (query-pci nests bridges a few levels), shallow enough to refuse a nesting bomb.</summary>
    public const int MaxDepth = 32;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static readonly JsonDocumentOptions Options = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false, AllowDuplicateProperties = false };

    /// <summary>One command line: <c>{"execute": NAME, "arguments": {...}, "id": ID}\n</c>.</summary>
    public static byte[] EncodeCommand(string command, JsonObject? arguments, string? id)
    {
        if (string.IsNullOrEmpty(command) || !command.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new ArgumentException($"not a QMP command name: '{command}'", nameof(command));
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", command);
            if (arguments is not null)
            {
                writer.WritePropertyName("arguments");
                arguments.WriteTo(writer);
            }
            if (id is not null) writer.WriteString("id", id);
            writer.WriteEndObject();
        }
        return [.. buffer.WrittenSpan, (byte)'\n'];
    }

    /// <summary>Decodes one line (without its line end).</summary>
    public static QmpMessage Decode(ReadOnlySpan<byte> line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line.ToArray(), Options);
        }
        catch (JsonException e)
        {
            throw Malformed($"not JSON ({e.Message})", line, e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Malformed($"a JSON {root.ValueKind} instead of an object", line);
            // Every string and member name must decode (no invalid UTF-8, no lone surrogate escapes): checked once
            // here, so that no consumer of a decoded message meets an InvalidOperationException later.
            try
            {
                RequireText(root);
            }
            catch (InvalidOperationException e)
            {
                throw Malformed("a string that is not valid Unicode", line, e);
            }
            string[] kinds = ["QMP", "return", "error", "event"];
            var present = kinds.Where(k => root.TryGetProperty(k, out _)).ToArray();
            if (present.Length != 1)
                throw Malformed(present.Length == 0 ? "none of QMP/return/error/event" : $"several of {string.Join('/', present)}", line);
            return present[0] switch
            {
                "QMP" => DecodeGreeting(root.GetProperty("QMP"), line),
                "return" => new QmpReturn(root.GetProperty("return").Clone(), DecodeId(root, line)),
                "error" => DecodeError(root, line),
                _ => DecodeEvent(root, line),
            };
        }
    }

    private static void RequireText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                element.GetString();
                break;
            case JsonValueKind.Object:
                foreach (var member in element.EnumerateObject())
                {
                    _ = member.Name;
                    RequireText(member.Value);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                    RequireText(item);
                break;
        }
    }

    private static QmpGreeting DecodeGreeting(JsonElement qmp, ReadOnlySpan<byte> line)
    {
        if (qmp.ValueKind != JsonValueKind.Object
            || !qmp.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Object
            || !version.TryGetProperty("qemu", out var qemu) || qemu.ValueKind != JsonValueKind.Object)
            throw Malformed("greeting without QMP.version.qemu", line);
        var numbers = new List<int>();
        foreach (var n in new[] { "major", "minor", "micro" })
            numbers.Add(qemu.TryGetProperty(n, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i >= 0
                ? i
                : throw Malformed($"greeting version without a number '{n}'", line));
        var capabilities = new List<string>();
        if (qmp.TryGetProperty("capabilities", out var caps))
        {
            if (caps.ValueKind != JsonValueKind.Array) throw Malformed("greeting capabilities is not an array", line);
            foreach (var c in caps.EnumerateArray())
                capabilities.Add(c.ValueKind == JsonValueKind.String ? c.GetString()! : throw Malformed("greeting capability is not a string", line));
        }
        return new QmpGreeting(string.Join('.', numbers), capabilities);
    }

    private static QmpError DecodeError(JsonElement root, ReadOnlySpan<byte> line)
    {
        var error = root.GetProperty("error");
        if (error.ValueKind != JsonValueKind.Object
            || !error.TryGetProperty("class", out var cls) || cls.ValueKind != JsonValueKind.String
            || !error.TryGetProperty("desc", out var desc) || desc.ValueKind != JsonValueKind.String)
            throw Malformed("error without string class and desc", line);
        return new QmpError(cls.GetString()!, desc.GetString()!, DecodeId(root, line));
    }

    private static QmpEvent DecodeEvent(JsonElement root, ReadOnlySpan<byte> line)
    {
        var name = root.GetProperty("event");
        if (name.ValueKind != JsonValueKind.String || name.GetString()!.Length == 0)
            throw Malformed("event name is not a string", line);
        var data = EmptyObject;
        if (root.TryGetProperty("data", out var d))
            data = d.ValueKind == JsonValueKind.Object ? d.Clone() : throw Malformed("event data is not an object", line);
        DateTimeOffset? timestamp = null;
        if (root.TryGetProperty("timestamp", out var ts)
            && ts.ValueKind == JsonValueKind.Object
            && ts.TryGetProperty("seconds", out var s) && s.TryGetInt64(out var seconds)
            && ts.TryGetProperty("microseconds", out var us) && us.TryGetInt64(out var micros)
            && seconds is >= 0 and < 253402300799 && micros is >= 0 and < 1_000_000)
            timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10);
        return new QmpEvent(name.GetString()!, data, timestamp);
    }

    private static string? DecodeId(JsonElement root, ReadOnlySpan<byte> line)
    {
        if (!root.TryGetProperty("id", out var id)) return null;
        return id.ValueKind == JsonValueKind.String ? id.GetString() : throw Malformed("id is not a string (we only send string ids)", line);
    }

    private static QmpException Malformed(string what, ReadOnlySpan<byte> line, Exception? inner = null)
    {
        var shown = Encoding.UTF8.GetString(line[..Math.Min(line.Length, 120)]);
        return new QmpException(QmpFailure.Malformed, $"malformed QMP message: {what}: {shown}{(line.Length > 120 ? "…" : "")}", inner: inner);
    }
}

/// <summary>
/// Splits a byte stream into lines of at most <see cref="MaxLineBytes"/> bytes (QMP puts one message per line,
/// ending in "\r\n"). A longer line is <see cref="QmpFailure.Oversized"/> as soon as the bound is passed, without
/// waiting for its end: a peer cannot make us buffer more than the bound.
/// </summary>
public sealed class QmpLineReader(Stream stream, int maxLineBytes = QmpLineReader.DefaultMaxLineBytes)
{
    /// <summary>1 MiB: query-pci of a full machine is a few kilobytes; nothing we ask for comes near.</summary>
    public const int DefaultMaxLineBytes = 1 << 20;

    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private readonly MemoryStream _line = new();

    public int MaxLineBytes { get; } = maxLineBytes > 0 ? maxLineBytes : throw new ArgumentOutOfRangeException(nameof(maxLineBytes));

    /// <summary>The next non-empty line without its line end, or null at the end of the stream.</summary>
    public async Task<byte[]?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await stream.ReadAsync(_buffer, ct).ConfigureAwait(false);
                if (_end == 0)
                {
                    if (_line.Length > 0)
                        throw new QmpException(QmpFailure.Closed, $"connection closed in the middle of a message ({_line.Length} bytes without a line end)");
                    return null;
                }
            }
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var take = (newline < 0 ? _end : newline) - _start;
            if (_line.Length + take > MaxLineBytes)
                throw new QmpException(QmpFailure.Oversized, $"QMP message longer than {MaxLineBytes} bytes");
            _line.Write(_buffer, _start, take);
            _start += take;
            if (newline < 0) continue;
            _start++;
            var bytes = _line.ToArray();
            _line.SetLength(0);
            var length = bytes.Length > 0 && bytes[^1] == '\r' ? bytes.Length - 1 : bytes.Length;
            if (length == 0) continue;
            return length == bytes.Length ? bytes : bytes[..length];
        }
    }
}
