using System.Security.Cryptography;

namespace SwitchGate.Topology;

/// <summary>
/// Names of everything one run creates. A run has a unique prefix <c>sgXXXX</c> (4 random hex
/// digits), so runs in parallel never share a name, and teardown can delete by exact name.
/// Linux limits interface names to 15 characters (IFNAMSIZ 16 with the NUL): prefix (6) + '-' +
/// topology name (at most 8, enforced by the loader) = 15.
/// </summary>
public sealed class TopologyNames
{
    public const int MaxInterfaceName = 15;

    public TopologyNames(string prefix)
    {
        if (prefix.Length != 6 || !prefix.StartsWith("sg") || !prefix[2..].All(char.IsAsciiHexDigitLower))
            throw new ArgumentException($"bad run prefix '{prefix}': expected sg + 4 lower-case hex digits", nameof(prefix));
        Prefix = prefix;
    }

    public static TopologyNames CreateUnique() =>
        new("sg" + Convert.ToHexString(RandomNumberGenerator.GetBytes(2)).ToLowerInvariant());

    public string Prefix { get; }

    /// <summary>The network namespace of a host.</summary>
    public string Namespace(string host) => $"{Prefix}-{host}";

    /// <summary>The OVS bridge (and its local tap interface) of a switch.</summary>
    public string Bridge(string @switch) => $"{Prefix}-{@switch}";

    /// <summary>The switch-side end of a host's veth pair, an OVS port; the host-side end is <c>eth0</c> in the namespace.</summary>
    public string SwitchPort(string host) => $"{Prefix}-{host}";

    public const string HostInterface = "eth0";
}
