using System.Globalization;
using System.Text.RegularExpressions;

namespace SwitchGate.Topology;

/// <summary>
/// The SwitchGate controller as a child process (`switchgate controller run`), for the test rack:
/// started on loopback, recognised as up by its "listening on 127.0.0.1:PORT" line and a switch as
/// ready by "switch 0x&lt;dpid&gt; ready"; stopped or killed by its pid.
/// </summary>
public sealed partial class ControllerProcess : IAsyncDisposable
{
    [GeneratedRegex(@"listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    private ControllerProcess(ManagedProcess process, int port)
    {
        Process = process;
        Port = port;
    }

    public ManagedProcess Process { get; }

    public int Port { get; }

    public int Pid => Process.Pid;

    /// <summary>
    /// Starts <paramref name="command"/> (e.g. <c>dotnet /path/switchgate.dll</c>) with
    /// <c>controller run --listen 127.0.0.1 --port PORT</c> and <paramref name="extraArgs"/> (plus <c>--plaintext</c>
    /// unless they hold <c>--tls-cert</c>); port 0 asks for an ephemeral port.
    /// </summary>
    public static async Task<ControllerProcess> StartAsync(
        IReadOnlyList<string> command, int port, IEnumerable<string>? extraArgs = null, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var extra = (extraArgs ?? []).ToList();
        // Loopback only: plaintext unless the caller configures TLS (the CLI wants the choice made explicitly).
        if (!extra.Contains("--tls-cert"))
            extra.Add("--plaintext");
        var process = ManagedProcess.Start(command[0], command.Skip(1).Concat(
            ["controller", "run", "--listen", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture)]).Concat(extra));
        try
        {
            var match = await process.WaitForLineAsync(ListeningLine(), timeout ?? TimeSpan.FromSeconds(30), cancel: cancel).ConfigureAwait(false);
            return new ControllerProcess(process, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The command that runs a built CLI assembly: <c>dotnet PATH</c>.</summary>
    public static IReadOnlyList<string> DotnetCommand(string cliDll) => ["dotnet", cliDll];

    /// <summary>How many output lines there are so far; pass it to <see cref="WaitForSwitchReadyAsync"/> to wait for a later "ready".</summary>
    public int LineCount => Process.Lines.Count;

    /// <summary>Waits for the controller to report the switch's cold start done.</summary>
    public Task WaitForSwitchReadyAsync(ulong datapathId, TimeSpan timeout, int fromLine = 0, CancellationToken cancel = default) =>
        Process.WaitForLineAsync(new Regex($@"switch 0x{datapathId:x16} ready", RegexOptions.IgnoreCase), timeout, fromLine, cancel);

    /// <summary>SIGKILL: the controller dies without a word to the switch (its TCP connection is reset by the kernel).</summary>
    public Task KillAsync() => Process.KillAsync();

    public ValueTask DisposeAsync() => Process.DisposeAsync();
}
