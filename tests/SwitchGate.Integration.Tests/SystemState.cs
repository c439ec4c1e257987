using System.Net;
using System.Net.Sockets;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>What exists on the machine with a given run prefix: namespaces, links, OVS bridges.</summary>
internal static class SystemState
{
    public static async Task<IReadOnlyList<string>> WithPrefixAsync(string prefix)
    {
        var namespaces = await CommandRunner.RunAsync("ip", "netns", "list");
        var links = await CommandRunner.RunAsync("ip", "-o", "link", "show");
        var bridges = await CommandRunner.RunAsync("ovs-vsctl", "list-br");
        var ports = await CommandRunner.RunAsync("ovs-vsctl", "--bare", "--columns=name", "list", "Interface");
        return new[] { namespaces, links, bridges, ports }
            .SelectMany(r => r.StandardOutput.Split('\n'))
            .Where(line => line.Contains(prefix, StringComparison.Ordinal))
            .ToArray();
    }

    /// <summary>A loopback TCP port nobody listens on right now.</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public static TopologySpec DefaultTopology() =>
        TopologyLoader.LoadFile(Path.Combine(RepoPaths.Root, "topology", "default.yaml"));

    /// <summary>Three hosts: two that talk before the controller dies, one that never talked.</summary>
    public static TopologySpec ThreeHosts() => TopologyLoader.Load("""
        switches:
          - { name: s1, dpid: "00000000000000a1" }
        hosts:
          - { name: h1, mac: "02:00:00:00:01:01", ip: 10.0.1.1/24 }
          - { name: h2, mac: "02:00:00:00:01:02", ip: 10.0.1.2/24 }
          - { name: h3, mac: "02:00:00:00:01:03", ip: 10.0.1.3/24 }
        links:
          - { host: h1, switch: s1, port: 1 }
          - { host: h2, switch: s1, port: 2 }
          - { host: h3, switch: s1, port: 7 }
        """, "three-hosts");
}
