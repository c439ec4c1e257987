using System.Diagnostics;

namespace SwitchGate.Topology;

/// <summary>The outcome of one external command.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>An external command that failed, timed out or could not start.</summary>
public sealed class CommandFailedException(string commandLine, int exitCode, string standardError, string detail)
    : Exception($"`{commandLine}` {detail}{(standardError.Length > 0 ? ": " + standardError.Trim() : "")}")
{
    public string CommandLine { get; } = commandLine;

    /// <summary>The exit code, or -1 when the command never finished.</summary>
    public int ExitCode { get; } = exitCode;

    public string StandardError { get; } = standardError;
}

/// <summary>
/// Runs short external commands (ip, ovs-vsctl, ovs-ofctl, ping, tshark -r) with their output
/// captured; every invocation of the topology code goes through here.
/// </summary>
public static class CommandRunner
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Runs and throws <see cref="CommandFailedException"/> unless the exit code is 0.</summary>
    public static async Task<CommandResult> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var result = await TryRunAsync(file, args, timeout, cancel).ConfigureAwait(false);
        return result.Succeeded
            ? result
            : throw new CommandFailedException(result.CommandLine, result.ExitCode, result.StandardError, $"exited with {result.ExitCode}");
    }

    public static Task<CommandResult> RunAsync(string file, params string[] args) => RunAsync(file, args, null);

    /// <summary>
    /// Runs and returns the result whatever the exit code (for commands whose failure is an
    /// expected answer, like a ping that must not get through). Still throws when the command
    /// cannot start or exceeds <paramref name="timeout"/> (it is then killed, by its process).
    /// </summary>
    public static async Task<CommandResult> TryRunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["LC_ALL"] = "C";
        var commandLine = Quote(file, info.ArgumentList);

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new CommandFailedException(commandLine, -1, "", $"could not start ({e.Message})");
        }
        process.StandardInput.Close();

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout ?? DefaultTimeout);
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancel.ThrowIfCancellationRequested();
            throw new CommandFailedException(commandLine, -1, await stderr.ConfigureAwait(false), $"timed out after {(timeout ?? DefaultTimeout).TotalSeconds:0.#} s");
        }
        return new CommandResult(commandLine, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    public static Task<CommandResult> TryRunAsync(string file, params string[] args) => TryRunAsync(file, args, null);

    private static string Quote(string file, IEnumerable<string> args) =>
        string.Join(' ', new[] { file }.Concat(args).Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_.,:/=@+%".Contains(c)) ? a : $"'{a}'"));
}
