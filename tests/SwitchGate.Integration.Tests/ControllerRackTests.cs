using SwitchGate.Controller.Forwarding;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>
/// Our controller (the built CLI, as a child process) against real OVS bridges and namespace
/// hosts: forwarding happens only through its flows; the switch is fail-secure while it is down;
/// after a restart the switch reconnects, is cold-started, and forwards again.
/// </summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
public class ControllerRackTests
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    private static Task<ControllerProcess> StartControllerAsync(int port, params string[] extra) =>
        ControllerProcess.StartAsync(ControllerProcess.DotnetCommand(RepoPaths.CliDll), port, extra);

    private static bool IsOurs(OvsFlow flow) => flow.Cookie != 0;

    private static bool IsLearned(OvsFlow flow) =>
        (flow.Cookie & L2Learning.CookieMask) == L2Learning.BaseCookie && flow.Cookie != L2Learning.BaseCookie;

    /// <summary>Both learned flows of a host: source in table 1 (from its port), destination in table 2 (to its port).</summary>
    private static void AssertLearned(IReadOnlyList<OvsFlow> flows, TopologySpec spec, string host)
    {
        var mac = spec.Host(host).Mac.ToString();
        var port = spec.LinkOf(host).Port.ToString();
        var src = flows.Where(f => f.Table == L2Learning.EthSrcTable && f.Matches("dl_src", mac)).ToList();
        var dst = flows.Where(f => f.Table == L2Learning.EthDstTable && f.Matches("dl_dst", mac)).ToList();
        var all = string.Join("\n", flows.Select(f => f.Text));
        Assert.True(src.Count == 1 && IsLearned(src[0]) && src[0].Matches("in_port", port) && src[0].Actions == $"goto_table:{L2Learning.EthDstTable}",
            $"no learned source flow for {host} ({mac}) in table {L2Learning.EthSrcTable}:\n{all}");
        Assert.True(dst.Count == 1 && IsLearned(dst[0]) && dst[0].Actions == $"output:{port}",
            $"no learned destination flow for {host} ({mac}) in table {L2Learning.EthDstTable}:\n{all}");
    }

    private static async Task AssertPings(RunningTopology topo, string from, string to)
    {
        var ping = await topo.PingAsync(from, to);
        Assert.True(ping.Succeeded, $"{from} -> {to} failed:\n{ping.Output}");
    }

    private static async Task AssertNoPing(RunningTopology topo, string from, string to)
    {
        var ping = await topo.PingAsync(from, to, count: 2);
        Assert.False(ping.Succeeded, $"{from} -> {to} got through:\n{ping.Output}");
    }

    [Fact]
    public async Task Hosts_ping_each_other_only_through_flows_the_controller_installed()
    {
        await using var controller = await StartControllerAsync(0);
        var spec = SystemState.DefaultTopology();
        await using var topo = await TopologyRunner.UpAsync(spec, new() { ControllerPort = controller.Port });
        await controller.WaitForSwitchReadyAsync(spec.Switch("s1").DatapathId, ReadyTimeout);

        // After the cold start: the pipeline only (gate table 0 -> table 1, table-1 miss to the
        // controller, table-2 miss floods), nothing learned, no flow of anyone else.
        var before = await topo.DumpFlowsAsync("s1");
        Assert.All(before, f => Assert.True(IsOurs(f), f.Text));
        Assert.DoesNotContain(before, IsLearned);
        Assert.Contains(before, f => f.Table == 0 && f.Actions == $"goto_table:{L2Learning.EthSrcTable}");
        Assert.Contains(before, f => f.Table == L2Learning.EthSrcTable && f.Priority == 0 && f.Actions.StartsWith("CONTROLLER"));

        await AssertPings(topo, "h1", "h2");
        await AssertPings(topo, "h2", "h1");

        var after = await topo.DumpFlowsAsync("s1");
        Assert.All(after, f => Assert.True(IsOurs(f), f.Text));
        AssertLearned(after, spec, "h1");
        AssertLearned(after, spec, "h2");
        // The echoes really went through the learned flows (counters of OVS, not of the controller).
        Assert.All(after.Where(IsLearned), f => Assert.True(f.Packets > 0, f.Text));
    }

    /// <summary>
    /// TCP (not only ICMP) crosses the userspace datapath: this needs the runner's checksum
    /// offload setting. Python is the peer on both ends because it is on every machine that runs
    /// scripts/test.
    /// </summary>
    [Fact]
    public async Task A_tcp_transfer_between_hosts_arrives_complete()
    {
        await using var controller = await StartControllerAsync(0);
        var spec = SystemState.DefaultTopology();
        await using var topo = await TopologyRunner.UpAsync(spec, new() { ControllerPort = controller.Port });
        await controller.WaitForSwitchReadyAsync(spec.Switch("s1").DatapathId, ReadyTimeout);

        const int size = 4_000_000;
        var server = topo.StartInHost("h2", ["python3", "-u", "-c", """
            import socket
            s = socket.create_server(("10.0.0.2", 5001)); print("listening")
            c, _ = s.accept(); n = 0
            while (d := c.recv(65536)): n += len(d)
            print("received", n)
            """]);
        await server.WaitForLineAsync(new("listening"), TimeSpan.FromSeconds(20));
        var client = await topo.ExecAsync("h1", ["python3", "-c", $"""
            import socket
            c = socket.create_connection(("10.0.0.2", 5001), timeout=10); c.sendall(b"x" * {size}); c.close()
            """], TimeSpan.FromSeconds(60));
        Assert.True(client.Succeeded, client.StandardError);
        await server.WaitForLineAsync(new($"received {size}$"), TimeSpan.FromSeconds(20));
        AssertLearned(await topo.DumpFlowsAsync("s1"), spec, "h2");
    }

    /// <summary>
    /// Fail-secure, as OVS implements it (fail_mode=secure; OpenFlow 1.3.5 "Connection
    /// Interruption"): with no controller the switch sends nothing to one and adds no flows of its
    /// own; flows already installed stay until their timeouts. So what this asserts is:
    /// (1) never connected: nothing forwards; (2) controller killed: a host the controller never
    /// learned cannot send at all, and learned hosts stop forwarding once their flows idle out,
    /// because nothing can re-learn them; (3) controller restarted: the switch reconnects, the
    /// cold start deletes everything left over (including a flow planted while it was down), and
    /// all hosts forward again.
    /// </summary>
    [Fact]
    public async Task Fail_secure_while_the_controller_is_down_and_traffic_resumes_after_reconnect()
    {
        const int idleSeconds = 2;
        var spec = SystemState.ThreeHosts();
        var dpid = spec.Switch("s1").DatapathId;
        var port = SystemState.FreePort();
        await using var topo = await TopologyRunner.UpAsync(spec, new() { ControllerPort = port });

        // (1) The controller was never up.
        await Task.Delay(TimeSpan.FromSeconds(1.5)); // OVS has tried to connect and failed
        Assert.False(await topo.IsControllerConnectedAsync("s1"));
        Assert.Empty(await topo.DumpFlowsAsync("s1"));
        await AssertNoPing(topo, "h1", "h2");

        var controller = await StartControllerAsync(port, "--mac-idle-timeout", idleSeconds.ToString());
        try
        {
            await controller.WaitForSwitchReadyAsync(dpid, ReadyTimeout);
            await AssertPings(topo, "h1", "h2");
            AssertLearned(await topo.DumpFlowsAsync("s1"), spec, "h1");

            // (2) Killed without a word (SIGKILL, by pid): OVS sees the connection reset.
            await controller.KillAsync();
        }
        finally
        {
            await controller.DisposeAsync();
        }
        await topo.WaitForControllerConnectionAsync("s1", connected: false, TimeSpan.FromSeconds(10));

        // h3 never sent a frame while the controller was up: its frames miss table 1 and would go
        // to the controller, which is gone, so they are dropped; h1's ARP request may flood to h3,
        // but no answer comes back.
        await AssertNoPing(topo, "h3", "h1");
        await AssertNoPing(topo, "h1", "h3");

        // h1 and h2's learned flows idle out and cannot be learned again.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await topo.DumpFlowsAsync("s1")).Any(IsLearned))
        {
            Assert.True(DateTime.UtcNow < deadline, "learned flows did not idle out");
            await Task.Delay(500);
        }
        await AssertNoPing(topo, "h1", "h2");

        // A flow planted while the controller is down (say, by someone with ovsdb access).
        await CommandRunner.RunAsync("ovs-ofctl", "-O", "OpenFlow13", "add-flow", topo.Names.Bridge("s1"), "table=0,priority=999,actions=NORMAL");

        // (3) Restarted on the same port: OVS reconnects (max_backoff 1 s), cold start.
        await using var restarted = await StartControllerAsync(port, "--mac-idle-timeout", idleSeconds.ToString());
        await restarted.WaitForSwitchReadyAsync(dpid, ReadyTimeout);
        var fresh = await topo.DumpFlowsAsync("s1");
        Assert.All(fresh, f => Assert.True(IsOurs(f), f.Text));
        Assert.DoesNotContain(fresh, f => f.Actions == "NORMAL");

        await AssertPings(topo, "h1", "h2");
        await AssertPings(topo, "h3", "h1");
        await AssertPings(topo, "h2", "h3");
        var flows = await topo.DumpFlowsAsync("s1");
        foreach (var host in new[] { "h1", "h2", "h3" }) AssertLearned(flows, spec, host);
    }
}
