using System.Net;
using System.Net.Sockets;
using SwitchGate.Ethernet;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Policy;

/// <summary>What the rack's configuration (a topology file, docs/gate.md "Port roles") says a switch port is for.</summary>
public enum PortRoleKind
{
    /// <summary>A boot server's port: closed (except attestation frames) until a valid enrolment exists, then gated by it.</summary>
    BootServer,
    /// <summary>A production host's port: locked to its MAC, which no other port may use; its address is ARP-protected.</summary>
    ProductionHost,
}

/// <summary>
/// One port's role. <paramref name="Mac"/>: the production host's MAC (required) or the boot server's clean MAC
/// (informational, the enrolment decides); <paramref name="Address"/>: its IPv4 address, if known, which only that
/// port may claim in ARP (docs/gate.md "Locked hosts").
/// </summary>
public sealed record PortRole(string Name, PortRoleKind Kind, ulong DatapathId, uint Port, MacAddress? Mac = null, IPAddress? Address = null)
{
    /// <summary>Every problem of a set of roles, one readable line each.</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<PortRole> roles)
    {
        var problems = new List<string>();
        foreach (var r in roles)
        {
            if (r.Port is 0 or > OfpPort.Max)
                problems.Add($"port role '{r.Name}': port {r.Port} is not a physical port (1..0x{OfpPort.Max:x})");
            if (r.Kind == PortRoleKind.ProductionHost && r.Mac is null)
                problems.Add($"port role '{r.Name}': a production host needs its MAC");
            if (r.Mac is { } mac && (mac.Value & 0x0100_0000_0000UL) != 0)
                problems.Add($"port role '{r.Name}': {mac} is not a unicast MAC");
            if (r.Address is { } ip && (ip.AddressFamily != AddressFamily.InterNetwork || ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.Broadcast)))
                problems.Add($"port role '{r.Name}': {ip} is not a host IPv4 address");
        }
        foreach (var g in roles.GroupBy(r => (r.DatapathId, r.Port)).Where(g => g.Count() > 1))
            problems.Add($"port roles {string.Join(", ", g.Select(r => $"'{r.Name}'"))} share switch 0x{g.Key.DatapathId:x16} port {g.Key.Port}");
        foreach (var g in roles.Where(r => r.Mac is not null).GroupBy(r => r.Mac).Where(g => g.Count() > 1))
            problems.Add($"port roles {string.Join(", ", g.Select(r => $"'{r.Name}'"))} share MAC {g.Key}");
        foreach (var g in roles.Where(r => r.Address is not null).GroupBy(r => r.Address).Where(g => g.Count() > 1))
            problems.Add($"port roles {string.Join(", ", g.Select(r => $"'{r.Name}'"))} share address {g.Key}");
        return problems;
    }
}
