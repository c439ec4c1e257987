using System.Net;
using System.Net.Sockets;
using SwitchGate.Topology;
using SwitchGate.Tpm.Client;
using SwitchGate.Tpm.Structures;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.TestSupport;

/// <summary>
/// A private swtpm for tests and benchmarks (<see cref="SwtpmCommand"/>): its own state directory, data port P and
/// control port P+1 on loopback, stopped by pid. In the root namespace the ports are probed in 23000–24999 and
/// start-up is awaited (a port taken by someone else makes swtpm exit, and another pair is tried); inside a network
/// namespace the caller picks the port (each namespace has its own loopback) and waits for the TPM itself.
/// swtpm serves one connection at a time: dispose clients before running a tpm2-tools binary against it.
/// </summary>
public sealed class SwtpmInstance : IDisposable, IAsyncDisposable
{
    private const int FirstPort = 23000;
    private const int LastPort = 24998;
    private static readonly object PortLock = new();
    private static int _nextPort = FirstPort + Random.Shared.Next(0, (LastPort - FirstPort) / 2) * 2;

    private readonly ManagedProcess _process;
    private readonly bool _ownsStateDirectory;
    private readonly bool _inRootNamespace;
    private int _disposed;

    public int Port { get; }
    public int ControlPort => Port + 1;
    public int Pid => _process.Pid;
    public string StateDir { get; }

    /// <summary>The agent's <c>--tpm</c> form.</summary>
    public string Spec => $"tcp:127.0.0.1:{Port}";

    /// <summary>tpm2-tools' TPM2TOOLS_TCTI.</summary>
    public string Tcti => $"swtpm:host=127.0.0.1,port={Port}";

    public string PathOf(string name) => Path.Combine(StateDir, name);

    /// <summary>Starts swtpm in the root namespace on a free port pair, its state in a new temporary directory.</summary>
    public SwtpmInstance()
        : this(null, null, null)
    {
    }

    /// <summary>
    /// Starts swtpm. <paramref name="stateDirectory"/>: where its state goes (default: a new temporary directory,
    /// deleted on dispose). <paramref name="netns"/>: run inside that network namespace (needs root), on
    /// <paramref name="port"/>, which is then required.
    /// </summary>
    public static SwtpmInstance Start(string? stateDirectory = null, string? netns = null, int? port = null) =>
        new(stateDirectory, netns, port);

    // xUnit class fixtures may have one public constructor only: the parameterless one.
    private SwtpmInstance(string? stateDirectory, string? netns, int? port)
    {
        _ownsStateDirectory = stateDirectory is null;
        StateDir = stateDirectory ?? Directory.CreateTempSubdirectory("sg-swtpm-").FullName;
        Directory.CreateDirectory(StateDir);
        if (netns is not null)
        {
            Port = port ?? throw new ArgumentException("a port is required inside a network namespace", nameof(port));
            _process = ManagedProcess.Start("ip", ["netns", "exec", netns, .. SwtpmCommand.Socket(StateDir, Port)]);
            return;
        }
        _inRootNamespace = true;
        string? lastFailure = null;
        for (int attempt = 0; attempt < 6; attempt++)
        {
            var p = port ?? ReservePortPair();
            var command = SwtpmCommand.Socket(StateDir, p);
            var process = ManagedProcess.Start(command[0], command[1..]);
            if (WaitUntilListening(process, p))
            {
                Port = p;
                _process = process;
                return;
            }
            lastFailure = string.Join('\n', process.Lines);
            process.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (port is not null) break;
        }
        if (_ownsStateDirectory) TryDelete(StateDir);
        throw new InvalidOperationException($"swtpm did not start: {lastFailure}");
    }

    public Task<Tpm2> ConnectAsync() => Tpm2.ConnectSwtpmAsync("127.0.0.1", Port);

    /// <summary>Emulated orderly reboot: Shutdown(CLEAR), control-channel CMD_INIT (power cycle), Startup(CLEAR).</summary>
    public async Task RebootAsync()
    {
        using (var tpm = await ConnectAsync())
            await tpm.ShutdownAsync(TpmSu.Clear);
        await SwtpmControl.InitAsync("127.0.0.1", ControlPort);
        using (var tpm = await ConnectAsync())
            await tpm.StartupAsync(TpmSu.Clear);
    }

    /// <summary>Runs a tpm2-tools binary against this swtpm (in its state directory); returns exit code and output.</summary>
    public (int ExitCode, string Output) Tool(string tool, params string[] args)
    {
        var result = RunTool(tool, args);
        return (result.ExitCode, result.StandardOutput + result.StandardError);
    }

    /// <summary>Runs a tool and throws unless it succeeds; leaves what it loaded in the TPM (benchmarks time the bare call).</summary>
    public string ToolChecked(string tool, params string[] args)
    {
        var (code, output) = Tool(tool, args);
        if (code != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', args)} exited {code}: {output}");
        return output;
    }

    /// <summary>
    /// Runs a tool, throws unless it succeeds, then flushes what tpm2-tools leaves behind: without a resource manager
    /// its transient objects and sessions stay loaded after the process exits (swtpm has 3 slots of each).
    /// </summary>
    public string ToolOk(string tool, params string[] args)
    {
        var output = ToolChecked(tool, args);
        FlushToolLeftovers();
        return output;
    }

    /// <summary>tpm2_flushcontext for transient objects, loaded sessions and saved sessions.</summary>
    public void FlushToolLeftovers()
    {
        foreach (var what in new[] { "-t", "-l", "-s" })
            Tool("tpm2_flushcontext", what);
    }

    private CommandResult RunTool(string tool, string[] args)
    {
        // tpm2-tools reads its TCTI from the environment and writes relative paths into the working directory:
        // env(1) and a shell-free 'cd' keep CommandRunner's argv interface.
        return CommandRunner.TryRunAsync("env", ["-C", StateDir, $"TPM2TOOLS_TCTI={Tcti}", tool, .. args], TimeSpan.FromSeconds(60))
            .GetAwaiter().GetResult();
    }

    private static int ReservePortPair()
    {
        lock (PortLock)
        {
            for (int tries = 0; tries < 1000; tries++)
            {
                var port = _nextPort;
                _nextPort = _nextPort + 2 > LastPort ? FirstPort : _nextPort + 2;
                if (CanBind(port) && CanBind(port + 1)) return port;
            }
        }
        throw new InvalidOperationException($"no free port pair in {FirstPort}-{LastPort + 1}");
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

    /// <summary>True once both ports accept connections while the process is still alive (so they are its ports).</summary>
    private static bool WaitUntilListening(ManagedProcess process, int port)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) return false;
            try
            {
                using (var data = new TcpClient()) data.Connect(IPAddress.Loopback, port);
                using (var ctrl = new TcpClient()) ctrl.Connect(IPAddress.Loopback, port + 1);
                return !process.HasExited;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        return false;
    }

    /// <summary>Stops swtpm through its control channel (CMD_SHUTDOWN) where it can be reached, then by pid.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        if (_inRootNamespace && !_process.HasExited)
        {
            try
            {
                await SwtpmControl.ShutdownAsync("127.0.0.1", ControlPort).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is TpmTransportException or TimeoutException)
            {
                // stopped by pid below
            }
        }
        await _process.StopAsync("TERM", TimeSpan.FromSeconds(2));
        await _process.DisposeAsync();
        if (_ownsStateDirectory) TryDelete(StateDir);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
