using System.Diagnostics;
using SwitchGate.Controller.Sessions;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// The gate's OpenFlow messages against a real Open vSwitch 3.1 (userspace datapath, fail_mode=secure):
/// OVS must accept the cold start (meters with OFPMF_PKTPS|OFPMF_BURST, every table-0 flow) and the
/// admission, renewal, revocation and enrolment batches, each confirmed by a barrier without an ERROR.
/// Needs root and a running ovsdb/ovs-vswitchd (as the integration tests do); the bridge is removed by name.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
public sealed class OvsGateTests : IDisposable
{
    private readonly string _bridge = $"sggt{Environment.ProcessId % 10000:x4}{Random.Shared.Next(0x100):x2}";
    private readonly TestNode _node = new("bs1", 0x5347_0000_0000_00A1, 2, 1);

    public void Dispose()
    {
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

    [Fact]
    public async Task Open_vswitch_accepts_every_gate_batch()
    {
        await using var controller = GateController.Start(_node);
        Run("ovs-vsctl", "--timeout=10", "add-br", _bridge, "--",
            "set", "bridge", _bridge, "datapath_type=netdev", "fail_mode=secure", "protocols=OpenFlow13",
            $"other_config:datapath-id={_node.DatapathId:x16}", "--",
            "add-port", _bridge, _bridge + "a", "--", "set", "interface", _bridge + "a", "type=internal", "ofport_request=1", "--",
            "add-port", _bridge, _bridge + "b", "--", "set", "interface", _bridge + "b", "type=internal", "ofport_request=2", "--",
            "set-controller", _bridge, $"tcp:127.0.0.1:{controller.EndPoint.Port}");
        await controller.WaitReadyAsync(_node.DatapathId); // the cold start was confirmed by a barrier: no ERROR

        var flows = Run("ovs-ofctl", "-O", "OpenFlow13", "dump-flows", _bridge);
        Assert.Contains("priority=1000,in_port=1,dl_type=0x88b5 actions=meter:1,CONTROLLER:65535", flows);
        Assert.Contains("priority=1000,in_port=2,dl_type=0x88b5 actions=meter:2,CONTROLLER:65535", flows);
        Assert.Contains("priority=950,dl_type=0x88b5 actions=drop", flows);
        Assert.Contains("priority=900,dl_src=02:00:00:00:02:01 actions=drop", flows);
        Assert.Contains("priority=900,dl_dst=02:00:00:00:02:01 actions=drop", flows);
        Assert.Contains("priority=700,dl_src=02:00:00:00:01:01 actions=drop", flows);
        Assert.Contains("priority=600,in_port=2 actions=drop", flows);
        Assert.Contains("table=0, n_packets=0, n_bytes=0, priority=0 actions=goto_table:1", flows);
        Assert.Contains("table=1, n_packets=0, n_bytes=0, priority=900,dl_dst=02:00:00:00:02:01 actions=drop", flows);
        Assert.Contains("table=1, n_packets=0, n_bytes=0, priority=0 actions=goto_table:2", flows);
        foreach (var tpid in new[] { "0x8100", "0x88a8", "0x9100" })
            Assert.Contains($"priority=990,dl_type={tpid} actions=drop", flows);
        // Flood groups: the enrolled port 2 hears no flood; port 1 does.
        var groups = Run("ovs-ofctl", "-O", "OpenFlow13", "dump-groups", _bridge);
        Assert.Contains("group_id=1,type=all,bucket=actions=output:1", groups);
        Assert.Contains("group_id=2,type=all,bucket=actions=output:1", groups);
        var meters = Run("ovs-ofctl", "-O", "OpenFlow13", "dump-meters", _bridge);
        Assert.Contains("meter=2 pktps burst bands=", meters);
        Assert.Contains("type=drop rate=20 burst_size=10", meters);

        Assert.True(controller.Registry.TryGet(_node.DatapathId, out var session));
        var cookie = GateFlows.Cookie(GateFlows.CookieKind.Admission, 1, 1);
        // Admission, then a renewal of the same flows (OFPFC_ADD replaces them), then revocation.
        await session.SendBatchAsync(GateFlows.Admission(_node.Port, _node.CleanMac, cookie, 30).ToList<OfpMessage>());
        await session.SendBatchAsync(GateFlows.Admission(_node.Port, _node.CleanMac, cookie, 30).ToList<OfpMessage>());
        flows = Run("ovs-ofctl", "-O", "OpenFlow13", "dump-flows", _bridge);
        foreach (var match in new[] { "priority=800,in_port=2,dl_src=02:00:00:00:01:01 actions=goto_table:1", "priority=800,dl_dst=02:00:00:00:01:01 actions=goto_table:2" })
        {
            var line = flows.Split('\n').SingleOrDefault(l => l.Contains(match)) ?? throw new Xunit.Sdk.XunitException($"no flow {match} in {flows}");
            Assert.Contains("send_flow_rem", line);
            Assert.Contains("hard_timeout=30", line);
            Assert.Contains($"cookie=0x{cookie:x}", line);
        }
        await session.SendBatchAsync(GateFlows.DeleteAdmission(_node.Port, _node.CleanMac).ToList<OfpMessage>());
        // A new port's meter (delete + add) and flow, and an enrolment change (static flows by cookie).
        await session.SendBatchAsync([GateFlows.AttestationMeter(1, 0, 0, MeterModCommand.Delete), GateFlows.AttestationMeter(1, 20, 10),
            GateFlows.AttestationToController(1), GateFlows.DeleteNodeStatic(1)]);
        flows = Run("ovs-ofctl", "-O", "OpenFlow13", "dump-flows", _bridge);
        Assert.DoesNotContain("priority=800", flows);
        Assert.DoesNotContain("priority=600", flows);
        Assert.Contains("priority=1000,in_port=1,dl_type=0x88b5", flows);
        Assert.Equal(SessionState.Ready, session.State);
    }
}
