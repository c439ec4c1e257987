using System.Globalization;

namespace SwitchGate.Ethernet;

/// <summary>
/// The text form of a switch's 64-bit datapath id (OpenFlow 1.3.5 §7.3.1: the low 48 bits are a MAC address of the
/// switch, the high 16 are the implementer's), beside <see cref="MacAddress"/> because every assembly that names a
/// switch reads it: enrolment records, the agent's command line and the controller's certificate bindings.
/// </summary>
public static class DatapathId
{
    /// <summary>
    /// Parses 1 to 16 hex digits, either after <c>0x</c> (what <c>ovs-vsctl get bridge BR datapath-id</c> and the
    /// project's own files print) or with ':' between digits (<c>ovs-ofctl show</c>'s colon form).
    /// </summary>
    public static bool TryParse(string? text, out ulong value)
    {
        value = 0;
        if (text is null)
            return false;
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text.Replace(":", "", StringComparison.Ordinal);
        return hex.Length is > 0 and <= 16
            && hex.All(char.IsAsciiHexDigit)
            && ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }
}
