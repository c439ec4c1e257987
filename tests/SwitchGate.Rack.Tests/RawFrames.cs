using System.Runtime.InteropServices;
using SwitchGate.Ethernet;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// Sends hand-made Ethernet frames from inside a host's network namespace, with any source MAC: the attacker's
/// tool. A dedicated thread joins the namespace (setns(2) affects only the calling thread), opens an AF_PACKET
/// socket there (packet(7): the socket stays in the namespace it was created in) and writes the frames to eth0.
/// </summary>
internal static partial class RawFrames
{
    private const int AF_PACKET = 17;
    private const int SOCK_RAW = 3;
    private const int CLONE_NEWNET = 0x40000000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint if_nametoindex(string name);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint sendto(int fd, byte* buffer, nint length, int flags, byte* address, int addressLength);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    /// <summary>Writes each frame once to <c>eth0</c> of namespace <paramref name="netns"/>.</summary>
    public static void Send(string netns, IReadOnlyList<byte[]> frames, string device = "eth0")
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                SendOnThisThread(netns, frames, device);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        thread.Start();
        thread.Join();
        if (failure is not null) throw new InvalidOperationException($"sending raw frames in {netns} failed: {failure.Message}", failure);
    }

    private static unsafe void SendOnThisThread(string netns, IReadOnlyList<byte[]> frames, string device)
    {
        using (var ns = File.OpenHandle($"/var/run/netns/{netns}"))
        {
            if (setns((int)ns.DangerousGetHandle(), CLONE_NEWNET) != 0)
                throw new IOException($"setns: errno {Marshal.GetLastPInvokeError()}");
        }
        int index = (int)if_nametoindex(device);
        if (index == 0) throw new IOException($"no {device} in {netns}");
        // Protocol 0: the socket only sends, it receives nothing (packet(7)).
        int fd = socket(AF_PACKET, SOCK_RAW, 0);
        if (fd < 0) throw new IOException($"socket: errno {Marshal.GetLastPInvokeError()}");
        try
        {
            // struct sockaddr_ll (packet(7)): family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8].
            var address = new byte[20];
            BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)AF_PACKET);
            BitConverter.TryWriteBytes(address.AsSpan(4, 4), index);
            address[11] = 6;
            foreach (var frame in frames)
            {
                frame.AsSpan(0, 6).CopyTo(address.AsSpan(12));
                fixed (byte* f = frame)
                fixed (byte* a = address)
                {
                    if (sendto(fd, f, frame.Length, 0, a, address.Length) != frame.Length)
                        throw new IOException($"sendto: errno {Marshal.GetLastPInvokeError()}");
                }
            }
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>An Ethernet II frame: destination, source, EtherType, payload, padded to the 60-octet minimum.</summary>
    public static byte[] Ethernet(string destination, string source, ushort etherType, ReadOnlySpan<byte> payload) =>
        new EthernetHeader(MacAddress.Parse(destination), MacAddress.Parse(source), etherType).Frame(payload);

    public static byte[] Mac(string text) => MacAddress.Parse(text).ToBytes();
}
