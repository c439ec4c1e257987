using System.Net;
using SwitchGate.Ethernet;

namespace SwitchGate.Topology;

/// <summary>What a host is for. Only <see cref="Host"/> exists today; the gate (issue 4) adds the other two.</summary>
public enum HostRole
{
    /// <summary>An ordinary host: one interface with a fixed MAC and IPv4 address.</summary>
    Host,
    /// <summary>A boot server: switches between a clean and a dirty MAC; starts clean.</summary>
    BootServer,
    /// <summary>The production host that sends and receives VM images.</summary>
    ProductionHost,
}

/// <summary>An Open vSwitch bridge controlled by SwitchGate.</summary>
/// <param name="Name">Short name from the file (e.g. <c>s1</c>).</param>
/// <param name="DatapathId">The 64-bit OpenFlow datapath id.</param>
/// <param name="ControllerAddress">Loopback address of the controller.</param>
/// <param name="ControllerPort">TCP port of the controller (the runner may override it).</param>
public sealed record SwitchSpec(string Name, ulong DatapathId, IPAddress ControllerAddress, int ControllerPort)
{
    /// <summary>The datapath id as OVS's <c>other-config:datapath-id</c> wants it: exactly 16 hex digits.</summary>
    public string DatapathIdHex => DatapathId.ToString("x16");
}

/// <summary>A host: one network namespace with one interface <c>eth0</c>.</summary>
/// <param name="Mac">The MAC the interface comes up with (for a boot server: its clean MAC).</param>
/// <param name="Address">IPv4 address of <c>eth0</c>.</param>
/// <param name="PrefixLength">Its prefix length.</param>
/// <param name="CleanMac">Boot servers only.</param>
/// <param name="DirtyMac">Boot servers only.</param>
public sealed record HostSpec(
    string Name, HostRole Role, MacAddress Mac, IPAddress Address, int PrefixLength,
    MacAddress? CleanMac = null, MacAddress? DirtyMac = null)
{
    public string Cidr => $"{Address}/{PrefixLength}";
}

/// <summary>A cable from a host's <c>eth0</c> to an OpenFlow port of a switch.</summary>
public sealed record LinkSpec(string Host, string Switch, int Port);

/// <summary>A validated topology: every name, MAC, address and port is unique and every link resolves.</summary>
public sealed record TopologySpec(
    string Source, IReadOnlyList<SwitchSpec> Switches, IReadOnlyList<HostSpec> Hosts, IReadOnlyList<LinkSpec> Links)
{
    public SwitchSpec Switch(string name) =>
        Switches.FirstOrDefault(s => s.Name == name) ?? throw new ArgumentException($"no switch '{name}' in {Source}", nameof(name));

    public HostSpec Host(string name) =>
        Hosts.FirstOrDefault(h => h.Name == name) ?? throw new ArgumentException($"no host '{name}' in {Source}", nameof(name));

    /// <summary>The single link of a host (validation guarantees there is exactly one).</summary>
    public LinkSpec LinkOf(string host) => Links.Single(l => l.Host == host);
}

