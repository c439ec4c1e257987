using SwitchGate.Ethernet;
using SwitchGate.Topology;

namespace SwitchGate.Integration.Tests;

/// <summary>The runner against real namespaces and a real OVS userspace datapath, without a controller.</summary>
[Trait("Requires", "root")]
[Trait("Requires", "ovs")]
public class TopologyRunnerTests
{
    [Fact]
    public async Task Up_builds_the_topology_as_specified_and_down_leaves_nothing()
    {
        var names = TopologyNames.CreateUnique();
        Assert.Empty(await SystemState.WithPrefixAsync(names.Prefix));
        var port = SystemState.FreePort();
        await using (var topo = await TopologyRunner.UpAsync(SystemState.ThreeHosts(), new() { Names = names, ControllerPort = port }))
        {
            var bridge = names.Bridge("s1");
            async Task<string> Get(string table, string record, string column) =>
                (await CommandRunner.RunAsync("ovs-vsctl", "get", table, record, column)).StandardOutput.Trim();

            Assert.Equal("netdev", await Get("Bridge", bridge, "datapath_type"));
            Assert.Equal("secure", await Get("Bridge", bridge, "fail_mode"));
            Assert.Equal("[OpenFlow13]", await Get("Bridge", bridge, "protocols"));
            Assert.Equal("\"00000000000000a1\"", await Get("Bridge", bridge, "other-config:datapath-id"));
            Assert.Equal($"tcp:127.0.0.1:{port}", (await CommandRunner.RunAsync("ovs-vsctl", "get-controller", bridge)).StandardOutput.Trim());
            Assert.Equal("7", await Get("Interface", names.SwitchPort("h3"), "ofport"));

            var eth0 = await topo.ExecAsync("h3", ["ip", "-o", "addr", "show", "dev", "eth0"]);
            Assert.Contains("10.0.1.3/24", eth0.StandardOutput);
            Assert.Contains("02:00:00:00:01:03", (await topo.ExecAsync("h3", ["ip", "-o", "link", "show", "dev", "eth0"])).StandardOutput);
            Assert.Equal("1", (await topo.ExecAsync("h3", ["sysctl", "-n", "net.ipv6.conf.eth0.disable_ipv6"])).StandardOutput.Trim());
            Assert.NotEmpty(await SystemState.WithPrefixAsync(names.Prefix));
        }
        Assert.Empty(await SystemState.WithPrefixAsync(names.Prefix));
    }

    [Fact]
    public async Task Without_a_controller_nothing_forwards_until_a_flow_is_installed()
    {
        var names = TopologyNames.CreateUnique();
        await using (var topo = await TopologyRunner.UpAsync(SystemState.DefaultTopology(), new() { Names = names, ControllerPort = SystemState.FreePort() }))
        {
            // fail_mode=secure: with no controller OVS installs no flows of its own and drops.
            Assert.Empty(await topo.DumpFlowsAsync("s1"));
            Assert.False((await topo.PingAsync("h1", "h2", count: 2)).Succeeded);

            // The same wiring forwards as soon as a flow exists, so the failed ping above was the
            // switch refusing, not broken plumbing.
            await CommandRunner.RunAsync("ovs-ofctl", "-O", "OpenFlow13", "add-flow", names.Bridge("s1"), "actions=NORMAL");
            // h1's neighbour entry for h2 is FAILED after the refused ping; on a loaded machine the next
            // ARP exchange can outlast one short ping, so poll until a deadline.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            var ping = await topo.PingAsync("h1", "h2");
            while (!ping.Succeeded && DateTime.UtcNow < deadline)
                ping = await topo.PingAsync("h1", "h2");
            Assert.True(ping.Succeeded, ping.Output);
        }
        Assert.Empty(await SystemState.WithPrefixAsync(names.Prefix));
    }

    [Fact]
    public async Task A_failed_build_deletes_what_it_created_and_nothing_else()
    {
        var names = TopologyNames.CreateUnique();
        var foreign = names.Bridge("s1");
        await CommandRunner.RunAsync("ovs-vsctl", "--", "add-br", foreign, "--", "set", "Bridge", foreign, "datapath_type=netdev", "fail_mode=secure");
        try
        {
            var e = await Assert.ThrowsAsync<CommandFailedException>(() =>
                TopologyRunner.UpAsync(SystemState.DefaultTopology(), new() { Names = names, ControllerPort = SystemState.FreePort() }));
            Assert.Contains("existing bridge", e.Message);
            Assert.True((await CommandRunner.TryRunAsync("ovs-vsctl", "br-exists", foreign)).Succeeded, "someone else's bridge was deleted");
            Assert.Equal([foreign], (await SystemState.WithPrefixAsync(names.Prefix)).Where(l => !l.Contains(": " + foreign)).Distinct());
        }
        finally
        {
            await CommandRunner.RunAsync("ovs-vsctl", "--if-exists", "del-br", foreign);
        }
        Assert.Empty(await SystemState.WithPrefixAsync(names.Prefix));
    }

    [Fact]
    public async Task A_host_can_change_its_mac()
    {
        await using var topo = await TopologyRunner.UpAsync(SystemState.DefaultTopology(), new() { ControllerPort = SystemState.FreePort() });
        Assert.True(MacAddress.TryParse("02:00:00:00:0d:01", out var dirty));
        await topo.SetMacAsync("h1", dirty);
        Assert.Contains("02:00:00:00:0d:01", (await topo.ExecAsync("h1", ["ip", "-o", "link", "show", "dev", "eth0"])).StandardOutput);
    }

    [Fact]
    public async Task Processes_started_in_hosts_are_stopped_at_teardown()
    {
        ManagedProcess sleeper;
        await using (var topo = await TopologyRunner.UpAsync(SystemState.DefaultTopology(), new() { ControllerPort = SystemState.FreePort() }))
        {
            sleeper = topo.StartInHost("h1", ["sleep", "600"]);
            Assert.False(sleeper.HasExited);
        }
        Assert.True(sleeper.HasExited);
    }

    [Fact]
    public async Task A_failing_command_names_itself_and_its_error()
    {
        var e = await Assert.ThrowsAsync<CommandFailedException>(() => CommandRunner.RunAsync("ip", "netns", "del", "sg-does-not-exist"));
        Assert.Contains("ip netns del sg-does-not-exist", e.Message);
        Assert.Contains("No such file", e.StandardError);
    }
}
