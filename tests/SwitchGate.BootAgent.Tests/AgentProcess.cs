using System.Collections.Concurrent;
using System.Diagnostics;

namespace SwitchGate.BootAgent.Tests;

/// <summary>switchgate-agent as the test rack runs it: <c>ip netns exec NS dotnet switchgate-agent.dll …</c>; lines collected, stopped by pid.</summary>
public sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    public AgentProcess(string netns, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "switchgate-agent.dll");
        var psi = new ProcessStartInfo("ip", ["netns", "exec", netns, "dotnet", dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue("stderr: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _lines);

    /// <summary>The agent's own pid ('ip netns exec' execs the command).</summary>
    public int Pid => _process.Id;

    public static async Task<(int ExitCode, string Output)> RunAsync(string netns, params string[] args)
    {
        using var agent = new AgentProcess(netns, args);
        var code = await agent.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, agent.Output);
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits for a line containing <paramref name="fragment"/> and returns it.</summary>
    public async Task<string> WaitForLineAsync(string fragment, TimeSpan timeout, int skip = 0)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            var matches = _lines.Where(l => l.Contains(fragment, StringComparison.Ordinal)).ToList();
            if (matches.Count > skip) return matches[skip];
            if (_process.HasExited && _lines.Count(l => l.Contains(fragment, StringComparison.Ordinal)) <= skip)
            {
                await Task.Delay(100);
                if (_lines.Count(l => l.Contains(fragment, StringComparison.Ordinal)) <= skip)
                    throw new InvalidOperationException($"agent exited ({_process.ExitCode}) without '{fragment}':\n{Output}");
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"no '{fragment}' within {timeout}:\n{Output}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }

        _process.Dispose();
    }
}
