using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.Tpm.Tests;

/// <summary>
/// A private swtpm for one test class: its own state directory under /tmp, a loopback data port P and control
/// port P+1 in 23000–23999 (probed by binding), stopped by pid on Dispose. Also runs tpm2-tools against it.
/// swtpm serves one connection at a time, so dispose clients from <see cref="ConnectAsync"/> before running a tool.
/// </summary>
public sealed class SwtpmFixture : IDisposable
{
    private static readonly object PortLock = new();
    private static int _nextPort = 23000 + Random.Shared.Next(0, 450) * 2;

    private readonly Process _swtpm;

    public SwtpmFixture()
    {
        StateDir = Directory.CreateTempSubdirectory("sg-swtpm-").FullName;
        for (int attempt = 0; ; attempt++)
        {
            Port = ReservePortPair();
            var process = Process.Start(new ProcessStartInfo("swtpm",
            [
                "socket", "--tpm2", "--tpmstate", $"dir={StateDir}",
                "--server", $"type=tcp,port={Port},bindaddr=127.0.0.1",
                "--ctrl", $"type=tcp,port={Port + 1},bindaddr=127.0.0.1",
                "--flags", "not-need-init,startup-clear",
            ]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            if (WaitForPorts(process))
            {
                _swtpm = process;
                break;
            }
            if (!process.HasExited) process.Kill();
            process.WaitForExit();
            process.Dispose();
            if (attempt == 5) throw new InvalidOperationException("swtpm did not start on any port");
        }
    }

    public int Port { get; }
    public int ControlPort => Port + 1;
    public string StateDir { get; }
    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    public Task<Tpm2> ConnectAsync() => Tpm2.ConnectSwtpmAsync("127.0.0.1", Port);

    public string PathOf(string name) => Path.Combine(StateDir, name);

    /// <summary>Emulated reboot, orderly: Shutdown(CLEAR), control-channel CMD_INIT (power cycle), Startup(CLEAR).</summary>
    public async Task RebootAsync()
    {
        using (var tpm = await ConnectAsync())
            await tpm.ShutdownAsync(TpmSu.Clear);
        await SwtpmControl.InitAsync("127.0.0.1", ControlPort);
        using (var tpm = await ConnectAsync())
            await tpm.StartupAsync(TpmSu.Clear);
    }

    /// <summary>Runs a tpm2-tools binary against this swtpm; returns exit code and output.</summary>
    public (int ExitCode, string Output) Tool(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = StateDir,
        };
        psi.Environment["TPM2TOOLS_TCTI"] = Tcti;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            throw new TimeoutException($"{tool} did not finish (is a client still connected to swtpm?)");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>
    /// Runs a tool, asserts success, then flushes what tpm2-tools leaves behind: without a resource manager its
    /// transient objects and sessions stay loaded after the process exits (swtpm has 3 slots of each).
    /// </summary>
    public string ToolOk(string tool, params string[] args)
    {
        var (code, output) = Tool(tool, args);
        Assert.True(code == 0, $"{tool} {string.Join(' ', args)} exited {code}: {output}");
        foreach (var what in new[] { "-t", "-l", "-s" })
            Tool("tpm2_flushcontext", what);
        return output;
    }

    private static int ReservePortPair()
    {
        lock (PortLock)
        {
            for (int tries = 0; tries < 500; tries++)
            {
                var port = _nextPort;
                _nextPort += 2;
                if (_nextPort > 23998) _nextPort = 23000;
                if (CanBind(port) && CanBind(port + 1)) return port;
            }
        }
        throw new InvalidOperationException("no free port pair in 23000-23999");
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// True once both ports accept connections and the process is still ours and alive. Another process that
    /// grabbed the port first makes swtpm exit, which is seen here; the caller then kills and retries.
    /// </summary>
    private bool WaitForPorts(Process process)
    {
        for (int i = 0; i < 100; i++)
        {
            if (process.HasExited) return false;
            try
            {
                using (var data = new TcpClient()) data.Connect(IPAddress.Loopback, Port);
                using (var ctrl = new TcpClient()) ctrl.Connect(IPAddress.Loopback, Port + 1);
                Thread.Sleep(20);
                return !process.HasExited;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        return false;
    }

    /// <summary>Stops swtpm through its control channel (CMD_SHUTDOWN), and by pid if it is still running after that.</summary>
    public void Dispose()
    {
        try
        {
            SwtpmControl.ShutdownAsync("127.0.0.1", ControlPort).Wait(TimeSpan.FromSeconds(5));
            _swtpm.WaitForExit(2000);
        }
        catch (AggregateException e) when (e.InnerException is TpmTransportException)
        {
            // fall through to the kill below
        }
        if (!_swtpm.HasExited)
        {
            _swtpm.Kill();
            _swtpm.WaitForExit(5000);
        }
        _swtpm.Dispose();
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { }
    }
}
