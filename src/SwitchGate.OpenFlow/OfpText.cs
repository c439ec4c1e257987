using System.Text;
using System.Text.Json;

namespace SwitchGate.OpenFlow;

/// <summary>
/// Text views of messages for people (what `switchgate openflow decode|roundtrip` prints). Pure: no I/O, no exit
/// codes; decoding errors stay <see cref="OpenFlowFormatException"/> from <see cref="OfpCodec.Decode"/>.
/// </summary>
public static class OfpText
{
    /// <summary>A readable, indented rendering of <paramref name="message"/>; OXM fields as "name = value[/mask]".</summary>
    public static string Describe(OfpMessage message, int length) => Describe(OfpJson.Serialize(message, indented: true), length);

    /// <summary>Describes where two byte strings first differ, or null if they are equal.</summary>
    public static string? FirstDifference(ReadOnlySpan<byte> original, ReadOnlySpan<byte> encoded)
    {
        var common = original.CommonPrefixLength(encoded);
        if (common == original.Length && common == encoded.Length)
        {
            return null;
        }

        if (common == original.Length || common == encoded.Length)
        {
            return $"lengths differ: file has {original.Length} bytes, re-encoded {encoded.Length} (equal up to offset {common})";
        }

        return $"first difference at byte offset {common}: file 0x{original[common]:x2}, re-encoded 0x{encoded[common]:x2}";
    }

    private static string Describe(string json, int length)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var sb = new StringBuilder();
        sb.Append(root.GetProperty("type").GetString()).Append(" xid=").Append(root.GetProperty("xid").GetRawText()).Append(" length=").Append(length);
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name is not ("type" or "xid"))
            {
                Render(sb, p.Name, p.Value, 1);
            }
        }

        return sb.ToString();
    }

    private static void Render(StringBuilder sb, string name, JsonElement value, int depth)
    {
        var indent = new string(' ', depth * 2);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when name == "oxm_fields" || (value.TryGetProperty("field", out var f) && f.ValueKind == JsonValueKind.String && value.TryGetProperty("mask", out _)):
                sb.Append('\n').Append(indent).Append(name == "field" ? "set " : string.Empty).Append(Oxm(value));
                break;
            case JsonValueKind.Object:
                sb.Append('\n').Append(indent).Append(name).Append(':');
                foreach (var p in value.EnumerateObject())
                {
                    Render(sb, p.Name, p.Value, depth + 1);
                }

                break;
            case JsonValueKind.Array when value.GetArrayLength() == 0:
                sb.Append('\n').Append(indent).Append(name).Append(": []");
                break;
            case JsonValueKind.Array when value.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number):
                sb.Append('\n').Append(indent).Append(name).Append(": [").AppendJoin(", ", value.EnumerateArray().Select(e => e.GetRawText())).Append(']');
                break;
            case JsonValueKind.Array:
                sb.Append('\n').Append(indent).Append(name).Append(':');
                var i = 0;
                foreach (var e in value.EnumerateArray())
                {
                    var label = name == "oxm_fields" ? "oxm_fields" : $"[{i++}]{ItemName(name, e)}";
                    Render(sb, label, e, depth + 1);
                }

                break;
            case JsonValueKind.String:
                sb.Append('\n').Append(indent).Append(name).Append(": ").Append(value.GetString());
                break;
            default:
                sb.Append('\n').Append(indent).Append(name).Append(": ").Append(value.GetRawText());
                break;
        }
    }

    /// <summary>" OFPAT_OUTPUT" etc. for items of action/instruction/band lists, from their type number.</summary>
    private static string ItemName(string list, JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("type", out var t) || !t.TryGetUInt16(out var type))
        {
            return string.Empty;
        }

        string? name = list switch
        {
            "actions" => Enum.IsDefined((ActionType)type) ? "OFPAT_" + Snake(((ActionType)type).ToString()) : null,
            "instructions" => Enum.IsDefined((InstructionType)type) ? "OFPIT_" + Snake(((InstructionType)type).ToString()) : null,
            "bands" => Enum.IsDefined((MeterBandType)type) ? "OFPMBT_" + Snake(((MeterBandType)type).ToString()) : null,
            _ => null,
        };
        return name is null ? string.Empty : " " + name;
    }

    /// <summary>"CopyTtlOut" -> "COPY_TTL_OUT".</summary>
    private static string Snake(string pascal)
    {
        var sb = new StringBuilder();
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && sb.Length > 0)
            {
                sb.Append('_');
            }

            sb.Append(char.ToUpperInvariant(c));
        }

        return sb.ToString();
    }

    private static string Oxm(JsonElement oxm)
    {
        static string Text(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
        var text = $"{oxm.GetProperty("field").GetString()} = {Text(oxm.GetProperty("value"))}";
        return oxm.GetProperty("mask").ValueKind == JsonValueKind.Null ? text : $"{text}/{Text(oxm.GetProperty("mask"))}";
    }
}
