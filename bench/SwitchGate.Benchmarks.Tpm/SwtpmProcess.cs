using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SwitchGate.Benchmarks.Tpm;

/// <summary>A private swtpm on loopback (ports probed in 23000–23999) with its own state dir; stopped by pid on Dispose.</summary>
internal sealed class SwtpmProcess : IDisposable
{
    private readonly Process _process;

    public SwtpmProcess()
    {
        StateDir = Directory.CreateTempSubdirectory("sg-bench-swtpm-").FullName;
        for (int attempt = 0; ; attempt++)
        {
            Port = 23000 + Random.Shared.Next(0, 499) * 2;
            if (!CanBind(Port) || !CanBind(Port + 1)) continue;
            var p = Process.Start(new ProcessStartInfo("swtpm",
            [
                "socket", "--tpm2", "--tpmstate", $"dir={StateDir}",
                "--server", $"type=tcp,port={Port},bindaddr=127.0.0.1",
                "--ctrl", $"type=tcp,port={Port + 1},bindaddr=127.0.0.1",
                "--flags", "not-need-init,startup-clear",
            ]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            if (WaitForPort(p))
            {
                _process = p;
                break;
            }
            if (!p.HasExited) p.Kill();
            p.Dispose();
            if (attempt > 10) throw new InvalidOperationException("swtpm did not start");
        }
    }

    public int Port { get; }
    public string StateDir { get; }
    public string PathOf(string name) => Path.Combine(StateDir, name);

    /// <summary>Runs a tpm2-tools binary against this swtpm (process per call); throws on failure.</summary>
    public void Tool(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = StateDir };
        psi.Environment["TPM2TOOLS_TCTI"] = $"swtpm:host=127.0.0.1,port={Port}";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} failed: {err.Result}");
    }

    /// <summary>tpm2-tools leaves objects and sessions loaded (no resource manager): flush them.</summary>
    public void FlushToolLeftovers()
    {
        Tool("tpm2_flushcontext", "-t");
        Tool("tpm2_flushcontext", "-l");
        Tool("tpm2_flushcontext", "-s");
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

    private bool WaitForPort(Process p)
    {
        for (int i = 0; i < 100; i++)
        {
            if (p.HasExited) return false;
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, Port + 1);
                return true;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        return false;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        _process.Dispose();
        try { Directory.Delete(StateDir, true); } catch (IOException) { }
    }
}
