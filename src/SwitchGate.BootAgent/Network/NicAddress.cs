using System.Diagnostics;
using System.Net.NetworkInformation;
using SwitchGate.Ethernet;

namespace SwitchGate.BootAgent.Network;

/// <summary>
/// Reads and changes the NIC's MAC with the system's own tool, iproute2 (<c>ip link set dev IF down; … address
/// MAC; … up</c>): the kernel refuses an address change on a running Ethernet device without IFF_LIVE_ADDR_CHANGE,
/// so the link goes down for the change. Runs in the caller's network namespace.
/// </summary>
public static class NicAddress
{
    public static MacAddress Current(string interfaceName) =>
        Find(interfaceName) ?? throw new LinkException($"no interface '{interfaceName}' in this network namespace");

    /// <summary>The interface's MAC, or null if there is no such interface in this network namespace.</summary>
    public static MacAddress? Find(string interfaceName)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName);
        if (nic is null)
        {
            return null;
        }

        var octets = nic.GetPhysicalAddress().GetAddressBytes();
        return octets.Length == MacAddress.Length
            ? MacAddress.FromBytes(octets)
            : throw new LinkException($"interface '{interfaceName}' has no Ethernet address ({octets.Length} octets)");
    }

    public static async Task SetAsync(string interfaceName, MacAddress mac, CancellationToken ct = default)
    {
        if (Current(interfaceName) == mac)
        {
            return;
        }

        await IpAsync(ct, "link", "set", "dev", interfaceName, "down").ConfigureAwait(false);
        try
        {
            await IpAsync(ct, "link", "set", "dev", interfaceName, "address", mac.ToString()).ConfigureAwait(false);
        }
        finally
        {
            await IpAsync(CancellationToken.None, "link", "set", "dev", interfaceName, "up").ConfigureAwait(false);
        }
    }

    private static async Task IpAsync(CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo("ip", args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(psi) ?? throw new LinkException("cannot start 'ip'");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new LinkException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()}");
        }
    }
}
