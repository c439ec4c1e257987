using System.Globalization;
using System.Text.RegularExpressions;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>
/// Wireshark as an independent judge of our OpenFlow bytes: tshark captures one TCP port on
/// loopback while a test runs, then its OpenFlow dissector reads the capture back.
/// </summary>
internal sealed class WireCheck : IAsyncDisposable
{
    private readonly ManagedProcess _capture;

    private WireCheck(ManagedProcess capture, string file, int port)
    {
        _capture = capture;
        CaptureFile = file;
        Port = port;
    }

    public string CaptureFile { get; }

    public int Port { get; }

    /// <summary>Starts capturing <c>tcp port PORT</c> on lo and returns once tshark says it is capturing.</summary>
    public static async Task<WireCheck> StartAsync(int port)
    {
        var file = Path.Combine(Path.GetTempPath(), $"switchgate-wire-{port}-{Guid.NewGuid():N}.pcapng");
        var capture = ManagedProcess.Start("tshark", ["-i", "lo", "-f", $"tcp port {port}", "-w", file]);
        try
        {
            // "Capturing on 'lo'" comes before dumpcap is really capturing; "Capture started" is
            // tshark relaying dumpcap's own report. A short settle time covers the rest.
            await capture.WaitForLineAsync(new Regex("Capture started"), TimeSpan.FromSeconds(30));
            await Task.Delay(300);
        }
        catch
        {
            await capture.DisposeAsync();
            throw;
        }
        return new WireCheck(capture, file, port);
    }

    /// <summary>Stops the capture (SIGINT, by pid: tshark finishes writing the file) and dissects it.</summary>
    public async Task<WireVerdict> StopAndAnalyzeAsync()
    {
        // Let the last segments reach the capture before stopping it.
        await Task.Delay(500);
        await _capture.StopAsync("INT", TimeSpan.FromSeconds(10));
        var decode = new[] { "-r", CaptureFile, "-d", $"tcp.port=={Port},openflow" };

        var types = await CommandRunner.RunAsync("tshark", decode.Concat(["-Y", "openflow_v4", "-T", "fields", "-e", "openflow_v4.type"]), TimeSpan.FromSeconds(60));
        // One line per frame; a frame carrying several OpenFlow messages lists their types comma-separated.
        var messageTypes = types.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .SelectMany(line => line.Split(','))
            .Select(t => int.Parse(t, CultureInfo.InvariantCulture))
            .ToList();

        // _ws.malformed: the dissector ran out of bytes or found a bad length; expert errors are
        // what Wireshark itself calls protocol errors.
        var bad = await CommandRunner.RunAsync("tshark", decode.Concat(["-Y", "_ws.malformed || _ws.expert.severity >= error"]), TimeSpan.FromSeconds(60));
        var problems = bad.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new WireVerdict(messageTypes, problems);
    }

    public async ValueTask DisposeAsync()
    {
        await _capture.DisposeAsync();
        File.Delete(CaptureFile);
    }
}

/// <param name="MessageTypes">ofp_type of every OpenFlow 1.3 message Wireshark decoded, in order.</param>
/// <param name="Problems">Summary lines of frames Wireshark found malformed or in error.</param>
internal sealed record WireVerdict(IReadOnlyList<int> MessageTypes, IReadOnlyList<string> Problems);
