using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SwitchGate.Topology;

/// <summary>
/// A long-running child process (the controller, tshark, a program inside a host) whose output
/// lines are kept for waiting on and for reports, and which is stopped by its pid only: first a
/// signal (SIGTERM or SIGINT, so it can finish cleanly), then SIGKILL after a grace period.
/// </summary>
public sealed class ManagedProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly object _gate = new();
    private readonly Task _stdout;
    private readonly Task _stderr;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closedStreams;

    private ManagedProcess(Process process, string commandLine)
    {
        _process = process;
        CommandLine = commandLine;
        Pid = process.Id;
        _stdout = PumpAsync(process.StandardOutput);
        _stderr = PumpAsync(process.StandardError);
    }

    public string CommandLine { get; }

    public int Pid { get; }

    private int? _exitCode;

    public bool HasExited => _exitCode is not null || _process.HasExited;

    public int? ExitCode => _exitCode ?? (_process.HasExited ? _process.ExitCode : null);

    /// <summary>All output so far, stdout and stderr interleaved in arrival order.</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_gate) return _lines.ToArray(); }
    }

    public static ManagedProcess Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        var commandLine = string.Join(' ', new[] { file }.Concat(info.ArgumentList));
        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new CommandFailedException(commandLine, -1, "", $"could not start ({e.Message})");
        }
        return new ManagedProcess(process, commandLine);
    }

    /// <summary>
    /// Waits for an output line matching <paramref name="pattern"/> (searching from line
    /// <paramref name="fromLine"/>) and returns the match. Throws <see cref="CommandFailedException"/>
    /// if the process exits first or the time runs out, quoting the output.
    /// </summary>
    public async Task<Match> WaitForLineAsync(Regex pattern, TimeSpan timeout, int fromLine = 0, CancellationToken cancel = default)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        var next = fromLine;
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                for (; next < _lines.Count; next++)
                {
                    var match = pattern.Match(_lines[next]);
                    if (match.Success) return match;
                }
                changed = _changed.Task;
                if (_closedStreams == 2)
                    throw Failure($"exited ({ExitCodeText()}) before printing a line matching /{pattern}/");
            }
            try
            {
                await changed.WaitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                cancel.ThrowIfCancellationRequested();
                throw Failure($"printed no line matching /{pattern}/ within {timeout.TotalSeconds:0.#} s");
            }
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the pid (e.g. INT, TERM, KILL) without waiting.</summary>
    public async Task SignalAsync(string signal)
    {
        if (HasExited) return;
        await CommandRunner.TryRunAsync("kill", "-s", signal, Pid.ToString(CultureInfo.InvariantCulture)).ConfigureAwait(false);
    }

    /// <summary>Signals, waits up to <paramref name="grace"/>, then kills; returns when the process has exited and its output is read.</summary>
    public async Task StopAsync(string signal = "TERM", TimeSpan? grace = null)
    {
        if (!HasExited)
        {
            await SignalAsync(signal).ConfigureAwait(false);
            using var wait = new CancellationTokenSource(grace ?? TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await _process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        await Task.WhenAll(_stdout, _stderr).ConfigureAwait(false);
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for the process to exit on its own (after being asked to, e.g. over
    /// a control channel); true when it has. Sends nothing.
    /// </summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancel = default)
    {
        if (HasExited) return true;
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            cancel.ThrowIfCancellationRequested();
            return false;
        }
    }

    /// <summary>Kills at once (SIGKILL): a crash, as far as its peers can tell.</summary>
    public Task KillAsync() => StopAsync("KILL", TimeSpan.FromSeconds(5));

    public async ValueTask DisposeAsync()
    {
        if (_exitCode is not null) return;
        await StopAsync().ConfigureAwait(false);
        _exitCode = _process.ExitCode;
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lock (_gate)
            {
                _lines.Add(line);
                _changed.TrySetResult();
                _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
        lock (_gate)
        {
            _closedStreams++;
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private string ExitCodeText() => ExitCode is { } code ? $"exit code {code}" : "streams closed";

    private CommandFailedException Failure(string what)
    {
        var tail = string.Join("\n", Lines.TakeLast(20));
        return new CommandFailedException(CommandLine, ExitCode ?? -1, tail, what);
    }
}
