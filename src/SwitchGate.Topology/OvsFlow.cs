using System.Globalization;
using System.Text.RegularExpressions;

namespace SwitchGate.Topology;

/// <summary>
/// One line of <c>ovs-ofctl -O OpenFlow13 dump-flows</c>, e.g.
/// <c>cookie=0x4c32000000000001, duration=0.9s, table=1, n_packets=4, n_bytes=392, idle_timeout=300,
/// send_flow_rem priority=100,in_port=1,dl_src=02:00:00:00:00:01 actions=goto_table:2</c>.
/// </summary>
/// <param name="Match">The match fields after the priority, as OVS prints them (empty for match-all).</param>
public sealed partial record OvsFlow(ulong Cookie, byte Table, ulong Packets, int Priority, int IdleTimeout, string Match, string Actions, string Text)
{
    [GeneratedRegex(@"^cookie=0x(?<cookie>[0-9a-f]+), .*?table=(?<table>\d+), n_packets=(?<packets>\d+), .*?(idle_timeout=(?<idle>\d+), .*?)?priority=(?<priority>\d+),?(?<match>\S*) actions=(?<actions>.*)$")]
    private static partial Regex Line();

    /// <summary>Parses one flow line; throws <see cref="FormatException"/> for anything else.</summary>
    public static OvsFlow Parse(string line)
    {
        var m = Line().Match(line.Trim());
        if (!m.Success) throw new FormatException($"not an ovs-ofctl flow line: {line}");
        return new OvsFlow(
            ulong.Parse(m.Groups["cookie"].Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
            byte.Parse(m.Groups["table"].Value, CultureInfo.InvariantCulture),
            ulong.Parse(m.Groups["packets"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["priority"].Value, CultureInfo.InvariantCulture),
            m.Groups["idle"].Success ? int.Parse(m.Groups["idle"].Value, CultureInfo.InvariantCulture) : 0,
            m.Groups["match"].Value,
            m.Groups["actions"].Value,
            line.Trim());
    }

    /// <summary>Whether the match has <paramref name="field"/>=<paramref name="value"/> (e.g. <c>dl_dst</c>, a MAC).</summary>
    public bool Matches(string field, string value) =>
        Match.Split(',').Contains($"{field}={value}", StringComparer.Ordinal);
}
