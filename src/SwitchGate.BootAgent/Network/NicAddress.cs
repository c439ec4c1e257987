using System.Diagnostics;
using System.Net.NetworkInformation;
using SwitchGate.Attestation.Enrolment;

namespace SwitchGate.BootAgent.Network;

/// <summary>
/// Reads and changes the NIC's MAC with the system's own tool, iproute2 (<c>ip link set dev IF down; … address
/// MAC; … up</c>): the kernel refuses an address change on a running Ethernet device without IFF_LIVE_ADDR_CHANGE,
/// so the link goes down for the change. Runs in the caller's network namespace.
/// </summary>
public static class NicAddress
{
    public static PhysicalAddress Current(string interfaceName)
    {
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == interfaceName)
            ?? throw new LinkException($"no interface '{interfaceName}' in this network namespace");
        return nic.GetPhysicalAddress();
    }

    public static async Task SetAsync(string interfaceName, PhysicalAddress mac, CancellationToken ct = default)
    {
        if (Current(interfaceName).Equals(mac))
        {
            return;
        }

        await IpAsync(ct, "link", "set", "dev", interfaceName, "down").ConfigureAwait(false);
        try
        {
            await IpAsync(ct, "link", "set", "dev", interfaceName, "address", EnrolmentRecord.Format(mac)).ConfigureAwait(false);
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
