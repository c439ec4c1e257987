using System.Diagnostics;
using System.Net.NetworkInformation;
using SwitchGate.Ethernet;

namespace SwitchGate.BootAgent.Network;

/// <summary>
/// Reads and changes the NIC's MAC with the system's own tool, iproute2. The address is changed on the running
/// link where the driver allows it (IFF_LIVE_ADDR_CHANGE: veth, virtio-net, many others), otherwise the kernel
/// refuses (EBUSY) and the link goes down for the change (<c>ip link set dev IF down; … address MAC; … up</c>).
/// The live change keeps the link, its routes and neighbour entries: the down/up was most of a departure's time
/// (docs/agent.md). It weakens nothing: the gate never relies on the link going down for a MAC change — departure
/// is revoked by DEPART before the change, and a node on its dirty MAC or marked PCR 14 is dropped whether or not
/// its link flapped; a frame queued with the old source address before the change is dropped like any other frame
/// of a node that holds no admission. Runs in the caller's network namespace.
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

        try
        {
            await IpAsync(ct, "link", "set", "dev", interfaceName, "address", mac.ToString()).ConfigureAwait(false);
            return;
        }
        catch (LinkException) when (Current(interfaceName) != mac)
        {
            // The driver cannot change its address while up (or the link is down already and this failed for
            // another reason, which the path below reports).
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
