using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SwitchGate.BootAgent.Tpm;

namespace SwitchGate.BootAgent.Tests;

/// <summary>
/// A private swtpm: own state directory, data port P and control port P+1 on the loopback of the given network
/// namespace (root if null), stopped by pid. Ports for the root namespace come from 24000–24499 (probed), so
/// classes never share a TPM.
/// </summary>
public sealed class Swtpm : IDisposable
{
    private static readonly object PortLock = new();
    private static int _nextPort = 24000 + Random.Shared.Next(0, 240) * 2;

    private readonly Process _process;

    public Swtpm(string? netns = null, int? port = null)
    {
        StateDir = Directory.CreateTempSubdirectory("sg-agent-swtpm-").FullName;
        Port = port ?? ReservePortPair();
        string[] swtpm =
        [
            "swtpm", "socket", "--tpm2", "--tpmstate", $"dir={StateDir}",
            "--server", $"type=tcp,port={Port},bindaddr=127.0.0.1",
            "--ctrl", $"type=tcp,port={Port + 1},bindaddr=127.0.0.1",
            "--flags", "not-need-init,startup-clear",
        ];
        // 'ip netns exec' execs the command, so the pid we hold is swtpm's own.
        string[] argv = netns is null ? swtpm : ["ip", "netns", "exec", netns, .. swtpm];
        var psi = new ProcessStartInfo(argv[0], argv[1..]) { RedirectStandardOutput = true, RedirectStandardError = true };
        _process = Process.Start(psi)!;
        Endpoint = TpmEndpoint.Parse($"tcp:127.0.0.1:{Port}");
        if (netns is null)
        {
            WaitForPort();
        }
    }

    public int Port { get; }
    public string StateDir { get; }
    public TpmEndpoint Endpoint { get; }
    public string Spec => $"tcp:127.0.0.1:{Port}";

    private void WaitForPort()
    {
        for (int i = 0; i < 100; i++)
        {
            if (_process.HasExited) throw new InvalidOperationException($"swtpm exited: {_process.StandardError.ReadToEnd()}");
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port + 1);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        throw new InvalidOperationException("swtpm did not listen");
    }

    private static int ReservePortPair()
    {
        lock (PortLock)
        {
            for (int tries = 0; tries < 300; tries++)
            {
                var port = _nextPort;
                _nextPort = _nextPort + 2 > 24498 ? 24000 : _nextPort + 2;
                if (CanBind(port) && CanBind(port + 1)) return port;
            }
        }

        throw new InvalidOperationException("no free port pair in 24000-24499");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { }
    }
}
