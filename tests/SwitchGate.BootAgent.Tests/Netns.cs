using System.Diagnostics;
using System.Runtime.InteropServices;

namespace SwitchGate.BootAgent.Tests;

/// <summary>
/// Two network namespaces joined by a veth pair, names with a unique prefix, deleted on Dispose (deleting a
/// namespace deletes its veth end). Agent side: namespace/interface <see cref="AgentNs"/>/<see cref="AgentIf"/>
/// with <c>lo</c> up (swtpm listens there); controller side: <see cref="ControllerNs"/>/<see cref="ControllerIf"/>.
/// </summary>
public sealed class Netns : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    public Netns(string agentMac)
    {
        var id = Guid.NewGuid().ToString("N")[..6];
        AgentNs = $"sgag{id}a";
        ControllerNs = $"sgag{id}c";
        AgentIf = $"sgag{id}a";
        ControllerIf = $"sgag{id}c";
        try
        {
            Ip("netns", "add", AgentNs);
            Ip("netns", "add", ControllerNs);
            Ip("link", "add", AgentIf, "type", "veth", "peer", "name", ControllerIf);
            Ip("link", "set", AgentIf, "netns", AgentNs);
            Ip("link", "set", ControllerIf, "netns", ControllerNs);
            Ip("-n", AgentNs, "link", "set", "dev", AgentIf, "address", agentMac);
            Ip("-n", AgentNs, "link", "set", "dev", AgentIf, "up");
            Ip("-n", AgentNs, "link", "set", "dev", "lo", "up");
            Ip("-n", ControllerNs, "link", "set", "dev", ControllerIf, "up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string AgentNs { get; }
    public string ControllerNs { get; }
    public string AgentIf { get; }
    public string ControllerIf { get; }

    /// <summary>The agent NIC's MAC as <c>ip link</c> shows it.</summary>
    public string AgentMac()
    {
        var output = Ip("-n", AgentNs, "-br", "link", "show", "dev", AgentIf);
        return output.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
    }

    public static string Ip(params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo("ip", args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)}: {error}");
        return output;
    }

    /// <summary>
    /// Runs <paramref name="open"/> on a fresh thread that first joined <paramref name="netns"/> (setns(2) changes the
    /// calling thread only). Sockets opened there stay in that namespace whichever thread uses them later.
    /// </summary>
    public static T InNamespace<T>(string netns, Func<T> open)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/run/netns/{netns}");
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new InvalidOperationException($"setns({netns}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                result = open();
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw failure;
        return result;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    public void Dispose()
    {
        foreach (var ns in new[] { AgentNs, ControllerNs })
        {
            try { Ip("netns", "del", ns); } catch (InvalidOperationException) { }
        }
    }
}
