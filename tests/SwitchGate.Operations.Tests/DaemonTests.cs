using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.Operations.Tests;

/// <summary>`switchgate controller run` as a daemon: configuration file, JSON logs, graceful stop, sd_notify.</summary>
public sealed class DaemonTests
{
    // Loopback only: plaintext, which must be chosen explicitly (docs/controller.md, "TLS").
    private static IEnumerable<string> Run(params string[] args) => new[] { Paths.CliDll, "controller", "run", "--plaintext" }.Concat(args);

    [Fact]
    public async Task Runs_from_a_config_file_logs_json_and_stops_on_SIGTERM_with_exit_0()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """
            // comments are fine
            { "openflow": { "listen": "127.0.0.1", "port": 0, "echo_interval": 2, "echo_timeout": 6, },
              "log": { "format": "json" } }
            """);
        await using var process = ManagedProcess.Start("dotnet", Run("--config", dir.File("c.json")));
        await process.WaitForLineAsync(new Regex("listening on 127\\.0\\.0\\.1:\\d+"), TimeSpan.FromSeconds(30));
        await process.StopAsync("TERM", TimeSpan.FromSeconds(20));
        Assert.Equal(0, process.ExitCode);
        var records = process.Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(records, r => r.GetProperty("Message").GetString()!.StartsWith("listening on 127.0.0.1:", StringComparison.Ordinal)
            && r.GetProperty("LogLevel").GetString() == "Information" && r.TryGetProperty("Timestamp", out _));
        Assert.Contains(records, r => r.GetProperty("Message").GetString() == "stopped");
        Assert.All(process.Lines.Where(l => l.Length > 0), l => Assert.StartsWith("{", l));
    }

    [Theory]
    [InlineData("""{"openflow": {"port": "x"}}""", "openflow.port: expected an integer, got string")]
    [InlineData("""{"gate": {"enrolments": "/nonexistent/sg-e", "audit_log": "/tmp/sg-never-written.jsonl"}}""", "gate.enrolments: directory '/nonexistent/sg-e' does not exist")]
    [InlineData("""{"gate": {"enrolments": "/tmp", "audit_log": "/nonexistent/sg/audit.jsonl"}}""", "gate.audit_log: cannot append to '/nonexistent/sg/audit.jsonl'")]
    [InlineData("""{"logg": {}}""", "logg: unknown section")]
    public async Task A_bad_config_is_one_line_naming_the_key_and_exit_2(string json, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), json);
        var result = await CommandRunner.TryRunAsync("dotnet", Run("--config", dir.File("c.json"), "--port", "0"), TimeSpan.FromSeconds(60));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StandardError);
        Assert.Single(result.StandardError.Trim().Split('\n'));
        Assert.DoesNotContain("listening on", result.StandardOutput);
        Assert.False(File.Exists("/tmp/sg-never-written.jsonl"));
    }

    [Fact]
    public async Task A_flag_overrides_the_file()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{"openflow": {"port": 1}}""");
        await using var process = ManagedProcess.Start("dotnet", Run("--config", dir.File("c.json"), "--port", "0"));
        await process.WaitForLineAsync(new Regex("listening on 127\\.0\\.0\\.1:\\d+"), TimeSpan.FromSeconds(30));
        await process.StopAsync("TERM", TimeSpan.FromSeconds(20));
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>
    /// Microsoft.Extensions.Hosting.Systemd talks to systemd only when the parent process is called "systemd" (or
    /// it is PID 1): a shell copied under that name plays the service manager, and the test reads the datagrams
    /// the controller sends to NOTIFY_SOCKET.
    /// </summary>
    [Fact]
    public async Task Under_systemd_it_notifies_ready_and_stopping()
    {
        using var dir = new TempDir();
        var fakeSystemd = dir.File("systemd");
        File.Copy("/bin/sh", fakeSystemd);
        if (OperatingSystem.IsLinux()) File.SetUnixFileMode(fakeSystemd, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        var socketPath = dir.File("notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(socketPath));
        // "; exit $?" keeps the shell from exec'ing dotnet, so the shell stays its parent.
        var command = $"dotnet '{Paths.CliDll}' controller run --port 0 --plaintext; exit $?";
        await using var shell = ManagedProcess.Start(fakeSystemd, ["-c", command], new Dictionary<string, string> { ["NOTIFY_SOCKET"] = socketPath });
        Assert.Equal("READY=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(30)));
        var child = File.ReadAllText($"/proc/{shell.Pid}/task/{shell.Pid}/children").Trim();
        await CommandRunner.TryRunAsync("kill", "-s", "TERM", child);
        Assert.Equal("STOPPING=1", await ReceiveAsync(notify, TimeSpan.FromSeconds(20)));
        await shell.WaitForLineAsync(new Regex("stopped"), TimeSpan.FromSeconds(20));
    }

    private static async Task<string> ReceiveAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[256];
        using var cancel = new CancellationTokenSource(timeout);
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
        return Encoding.ASCII.GetString(buffer, 0, n).Trim();
    }
}
