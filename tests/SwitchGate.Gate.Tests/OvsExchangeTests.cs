using System.Collections.Concurrent;
using System.Diagnostics;
using SwitchGate.Attestation;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// A whole exchange through a real Open vSwitch bridge: the agent's frames enter the bridge on the node's
/// port (ovs-ofctl packet-out through the OpenFlow tables, so they take the table-0 meter → CONTROLLER path),
/// and the controller's answers leave on that port, where tshark captures them.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
[Trait("Requires", "tshark")]
public sealed class OvsExchangeTests : IDisposable
{
    private readonly string _bridge = $"sgx{Environment.ProcessId % 10000:x4}{Random.Shared.Next(0x100):x2}";
    private readonly TestNode _node = new("bs1", 0x5347_0000_0000_00B1, 2, 1);
    private Process? _capture;

    public void Dispose()
    {
        if (_capture is { HasExited: false })
        {
            _capture.Kill(entireProcessTree: true); // tshark and its dumpcap
            _capture.WaitForExit(5000);
        }
        _capture?.Dispose();
        Run("ovs-vsctl", "--timeout=10", "--if-exists", "del-br", _bridge);
        _node.Dispose();
    }

    private static string Run(params string[] args)
    {
        var start = new ProcessStartInfo(args[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args[1..])
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', args)} failed ({process.ExitCode}): {error}");
        return output;
    }

    private void Inject(byte[] frame) =>
        Run("ovs-ofctl", "-O", "OpenFlow13", "packet-out", _bridge, $"in_port={_node.Port} packet={Convert.ToHexStringLower(frame)} actions=table");

    private static async Task<T> NextAsync<T>(BlockingCollection<AttestationMessage> messages) where T : AttestationMessage
    {
        var message = await Task.Run(() => messages.TryTake(out var m, TimeSpan.FromSeconds(15)) ? m : null);
        return message as T ?? throw new Xunit.Sdk.XunitException($"expected {typeof(T).Name}, got {message?.ToString() ?? "nothing"}");
    }

    [Fact]
    public async Task Hello_challenge_evidence_verdict_through_open_vswitch()
    {
        await using var controller = GateController.Start(_node);
        string port = _bridge + "n";
        Run("ovs-vsctl", "--timeout=10", "add-br", _bridge, "--",
            "set", "bridge", _bridge, "datapath_type=netdev", "fail_mode=secure", "protocols=OpenFlow13",
            $"other_config:datapath-id={_node.DatapathId:x16}", "--",
            "add-port", _bridge, port, "--", "set", "interface", port, "type=internal", $"ofport_request={_node.Port}", "--",
            "set-controller", _bridge, $"tcp:127.0.0.1:{controller.EndPoint.Port}");
        await controller.WaitReadyAsync(_node.DatapathId);
        Run("ip", "link", "set", port, "up");

        var received = new BlockingCollection<AttestationMessage>();
        var start = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-l", "-n", "-i", port, "-f", "ether proto 0x88b5", "-T", "fields", "-e", "data.data" })
            start.ArgumentList.Add(a);
        _capture = Process.Start(start)!;
        var ready = new TaskCompletionSource();
        _capture.ErrorDataReceived += (_, e) => { if (e.Data?.Contains("Capturing on") == true) ready.TrySetResult(); };
        _capture.OutputDataReceived += (_, e) =>
        {
            if (string.IsNullOrWhiteSpace(e.Data))
                return;
            var payload = Convert.FromHexString(e.Data.Replace(":", "").Trim());
            received.Add(AttestationCodec.Decode(payload.AsSpan(0, AttestationCodec.ReadHeader(payload))));
        };
        _capture.BeginErrorReadLine();
        _capture.BeginOutputReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // "Capturing on" comes before dumpcap really captures (see the integration tests' wire check).
        await Task.Delay(1000);

        Inject(_node.Hello());
        var challenge = await NextAsync<Challenge>(received);
        Inject(_node.Frame(_node.Evidence(challenge)));
        var verdict = await NextAsync<Verdict>(received);
        Assert.Equal((VerdictKind.Admitted, challenge.SessionId, (ushort?)30), (verdict.Kind, verdict.SessionId, verdict.LeaseSeconds));

        var flows = Run("ovs-ofctl", "-O", "OpenFlow13", "dump-flows", _bridge, "table=0");
        Assert.Contains($"priority=800,in_port={_node.Port},dl_src=02:00:00:00:01:01 actions=goto_table:1", flows);
        Assert.Equal(NodeGateState.Admitted, controller.Gate.Status()[_node.Name]!.State);

        _node.Session = challenge.SessionId;
        _node.AdmittedNonce = challenge.Nonce.ToArray();
        Inject(_node.Depart());
        var revoked = await NextAsync<Verdict>(received);
        Assert.Equal((VerdictKind.Revoked, ReasonCode.Departed), (revoked.Kind, revoked.Reason));
        Assert.DoesNotContain("priority=800", Run("ovs-ofctl", "-O", "OpenFlow13", "dump-flows", _bridge, "table=0"));
    }
}
