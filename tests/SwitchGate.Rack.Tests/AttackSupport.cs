using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using SwitchGate.Attestation;
using SwitchGate.Ethernet;
using SwitchGate.Topology;

namespace SwitchGate.Rack.Tests;

/// <summary>
/// The attacker's receiving side: every 0x88B5 frame seen on a host's <c>eth0</c>, in and out (packet(7)). A dedicated thread joins the
/// namespace (setns(2) only affects the calling thread) and reads until disposed.
/// </summary>
internal sealed partial class FrameSniffer : IDisposable
{
    private const int AF_PACKET = 17;
    private const int SOCK_RAW = 3;
    private const int CLONE_NEWNET = 0x40000000;
    private const int SOL_SOCKET = 1;
    private const int SO_RCVTIMEO = 20;

    private readonly ConcurrentQueue<byte[]> _frames = new();
    private readonly Func<byte[], bool> _keep;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _ready = new();
    private volatile bool _stop;
    private Exception? _failure;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int bind(int fd, byte* address, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int setsockopt(int fd, int level, int name, byte* value, int length);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial nint recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial uint if_nametoindex(string name);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    /// <param name="keep">Which frames to keep (default: 0x88B5 attestation frames).</param>
    public FrameSniffer(string netns, string device = "eth0", Func<byte[], bool>? keep = null)
    {
        _keep = keep ?? IsAttestationFrame;
        _thread = new Thread(() => Run(netns, device)) { IsBackground = true };
        _thread.Start();
        _ready.Wait(TimeSpan.FromSeconds(10));
        if (_failure is not null) throw new InvalidOperationException($"sniffing in {netns} failed: {_failure.Message}", _failure);
    }

    public static FrameSniffer On(RackFixture rack, string host, Func<byte[], bool>? keep = null) =>
        new(rack.Topology.Names.Namespace(host), keep: keep);

    private static bool IsAttestationFrame(byte[] f) =>
        f[12] == AttestationFrame.EtherType >> 8 && f[13] == (AttestationFrame.EtherType & 0xFF);

    /// <summary>Every well-formed attestation frame seen so far, in order.</summary>
    public IReadOnlyList<AttestationFrameContent> Frames =>
        _frames.Select(TryParse).Where(f => f is not null).Select(f => f!).ToList();

    public IReadOnlyList<T> Messages<T>() where T : AttestationMessage => Frames.Select(f => f.Message).OfType<T>().ToList();

    /// <summary>Raw bytes of every frame seen so far (for replaying them unchanged).</summary>
    public IReadOnlyList<byte[]> RawFrames => _frames.ToList();

    public async Task<T> WaitForAsync<T>(Func<T, bool> condition, TimeSpan timeout, string what) where T : AttestationMessage
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = Messages<T>().FirstOrDefault(condition);
            if (found is not null) return found;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"waited {timeout.TotalSeconds:0} s for {what}; saw:\n{Describe()}");
            await Task.Delay(100);
        }
    }

    /// <summary>One line per frame seen: its length and what it parses as (or why not).</summary>
    public string Describe() => string.Join('\n', _frames.Select(f =>
    {
        try
        {
            var m = AttestationFrame.Parse(f).Message;
            return $"{f.Length} octets: {m.Type} session={m.SessionId:x16}";
        }
        catch (AttestationFormatException e)
        {
            return $"{f.Length} octets: malformed ({e.Message}) {Convert.ToHexString(f.AsSpan(0, Math.Min(f.Length, 40)))}";
        }
    }));

    private static AttestationFrameContent? TryParse(byte[] frame)
    {
        try
        {
            return AttestationFrame.Parse(frame);
        }
        catch (AttestationFormatException)
        {
            return null;
        }
    }

    /// <summary>Moves the calling thread into network namespace <paramref name="netns"/> (setns(2) affects only this thread).</summary>
    public static void JoinNamespace(string netns)
    {
        using var ns = File.OpenHandle($"/var/run/netns/{netns}");
        if (setns((int)ns.DangerousGetHandle(), CLONE_NEWNET) != 0)
            throw new IOException($"setns: errno {Marshal.GetLastPInvokeError()}");
    }

    private unsafe void Run(string netns, string device)
    {
        int fd = -1;
        try
        {
            JoinNamespace(netns);
            int index = (int)if_nametoindex(device);
            if (index == 0) throw new IOException($"no {device} in {netns}");
            // ETH_P_ALL (if_ether.h), in network order: only "all protocols" sockets see the frames the host sends
            // (the kernel's transmit tap delivers to ptype_all only); other EtherTypes are skipped below.
            const ushort protocol = 0x0300;
            fd = socket(AF_PACKET, SOCK_RAW, protocol);
            if (fd < 0) throw new IOException($"socket: errno {Marshal.GetLastPInvokeError()}");
            // struct sockaddr_ll (packet(7)): family, protocol (network order), ifindex.
            var address = new byte[20];
            BitConverter.TryWriteBytes(address.AsSpan(0, 2), (ushort)AF_PACKET);
            BitConverter.TryWriteBytes(address.AsSpan(2, 2), protocol);
            BitConverter.TryWriteBytes(address.AsSpan(4, 4), index);
            fixed (byte* a = address)
                if (bind(fd, a, address.Length) != 0) throw new IOException($"bind: errno {Marshal.GetLastPInvokeError()}");
            // struct timeval {200 ms}: recv returns now and then so that Dispose can stop the thread.
            var timeout = new byte[16];
            BitConverter.TryWriteBytes(timeout.AsSpan(8, 8), 200_000L);
            fixed (byte* t = timeout)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, t, timeout.Length);
            _ready.Set();
            var buffer = new byte[2048];
            while (!_stop)
            {
                nint n;
                fixed (byte* b = buffer) n = recv(fd, b, buffer.Length, 0);
                if (n >= AttestationFrame.EthernetHeaderLength && buffer.AsSpan(0, (int)n).ToArray() is var frame && _keep(frame))
                    _frames.Enqueue(frame);
            }
        }
        catch (Exception e)
        {
            _failure = e;
            _ready.Set();
        }
        finally
        {
            if (fd >= 0) close(fd);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(TimeSpan.FromSeconds(5));
        _ready.Dispose();
    }
}

/// <summary>Frames and switch readings the attack tests build and take.</summary>
internal static class AttackSupport
{
    /// <summary>An agent's frame: to the Nearest Bridge address, from <paramref name="source"/> (docs/protocol.md §2).</summary>
    public static byte[] AgentFrame(MacAddress source, AttestationMessage message) =>
        AttestationFrame.Build(AttestationFrame.ControllerDestination, source, message);

    public static byte[] HelloFrame(BootServer node, ulong session = 0) =>
        AgentFrame(node.CleanMac, new Hello(session, node.Name, node.CleanMac));

    /// <summary>The same evidence under another session id (the quote, signature, values and proof unchanged).</summary>
    public static Evidence WithSession(Evidence e, ulong session) =>
        new(session, e.Attest.Span, e.Signature.Span, e.PcrValues, e.Proof.Span);

    /// <summary>Polls the audit log until <paramref name="node"/> has a verdict matching <paramref name="verdict"/> ("denied/NonceUsed").</summary>
    public static async Task WaitForVerdictAsync(this RackFixture rack, string node, string verdict, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!rack.Verdicts(node).Contains(verdict))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no '{verdict}' for {node} in {timeout.TotalSeconds:0} s; verdicts: {string.Join(", ", rack.Verdicts(node))}\n{rack.ControllerOutput()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Polls until the node's admission flows are gone from the switch.</summary>
    public static Task WaitForNoAdmissionAsync(this RackFixture rack, string node, TimeSpan timeout) =>
        rack.WaitForFlowsAsync(flows => !flows.Any(f => f.Table <= 1 && f.Priority == 800
                && (f.Matches("dl_src", rack.BootServer(node).CleanMac.ToString()) || f.Matches("dl_dst", rack.BootServer(node).CleanMac.ToString()))),
            timeout, $"{node}'s admission flows to go");
}
