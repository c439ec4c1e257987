using System.Text;
using System.Text.Json.Nodes;
using SwitchGate.Hypervisor.Qmp;

namespace SwitchGate.Hypervisor.Tests;

/// <summary>The QMP client against a scripted peer on a real Unix socket.</summary>
public class QmpClientTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static async Task<QmpClient> ConnectAsync(FakeQmpServer server) =>
        await QmpClient.ConnectAsync(server.SocketPath, new CancellationTokenSource(Patience).Token);

    [Fact]
    public async Task Negotiates_and_returns_a_commands_value()
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer =>
        {
            var c = await peer.ReadCommandAsync();
            Assert.Equal("query-status", c.Execute);
            await peer.SendAsync($$"""{"return": {"status": "paused", "running": false}, "id": "{{c.Id}}"}""");
        });
        await using var client = await ConnectAsync(server);
        Assert.Equal("7.2.22", client.Greeting.Version);
        var status = await client.ExecuteAsync("query-status", null, default);
        Assert.Equal("paused", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Events_before_and_between_replies_are_kept_for_a_later_waiter()
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer =>
        {
            var c = await peer.ReadCommandAsync();
            Assert.Equal("bootdev", c.Arguments.GetProperty("id").GetString());
            // The event races the reply: QEMU may send DEVICE_DELETED before device_del's own return.
            await peer.SendAsync("""{"event": "DEVICE_DELETED", "data": {"path": "/machine/peripheral/bootdev/virtio-backend"}}""");
            await peer.SendAsync("""{"event": "DEVICE_DELETED", "data": {"device": "bootdev", "path": "/machine/peripheral/bootdev"}}""");
            await peer.SendAsync($$"""{"return": {}, "id": "{{c.Id}}"}""");
            var q = await peer.ReadCommandAsync();
            await peer.SendAsync("""{"event": "STOP"}""");
            await peer.SendAsync($$"""{"return": {"status": "paused"}, "id": "{{q.Id}}"}""");
            await Task.Delay(1000);
        });
        await using var client = await ConnectAsync(server);
        var mark = client.EventMark;
        await client.ExecuteAsync("device_del", new JsonObject { ["id"] = "bootdev" }, default);
        var deleted = await client.WaitForEventAsync("DEVICE_DELETED", e => e.DataString("device") == "bootdev", mark, Patience, default);
        Assert.Equal("/machine/peripheral/bootdev", deleted.DataString("path"));
        var status = await client.ExecuteAsync("query-status", null, default);
        Assert.Equal("paused", status.GetProperty("status").GetString());
        Assert.Equal(["DEVICE_DELETED", "DEVICE_DELETED", "STOP"], client.Events.Select(e => e.Name));
        // A mark taken now does not see the old events.
        await Assert.ThrowsAsync<TimeoutException>(() =>
            client.WaitForEventAsync("DEVICE_DELETED", null, client.EventMark, TimeSpan.FromMilliseconds(200), default));
    }

    [Fact]
    public async Task An_error_reply_is_a_QmpException_with_the_class_and_the_connection_stays_usable()
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer =>
        {
            var c = await peer.ReadCommandAsync();
            await peer.SendAsync($$"""{"error": {"class": "DeviceNotFound", "desc": "Device 'nope' not found"}, "id": "{{c.Id}}"}""");
            var q = await peer.ReadCommandAsync();
            await peer.SendAsync($$"""{"return": {"status": "running"}, "id": "{{q.Id}}"}""");
        });
        await using var client = await ConnectAsync(server);
        var e = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("device_del", new JsonObject { ["id"] = "nope" }, default));
        Assert.Equal(QmpFailure.ErrorReply, e.Failure);
        Assert.Equal("DeviceNotFound", e.ErrorClass);
        Assert.Contains("Device 'nope' not found", e.Message);
        Assert.Equal("running", (await client.ExecuteAsync("query-status", null, default)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_oversized_reply_fails_the_command_and_the_connection()
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer =>
        {
            var c = await peer.ReadCommandAsync();
            // Two megabytes without a line end: more than the client's 1 MiB bound.
            await peer.SendBytesAsync(Encoding.UTF8.GetBytes("{\"return\": \"" + new string('a', 2 << 20)));
            await Task.Delay(500);
        });
        await using var client = await ConnectAsync(server);
        var e = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("query-status", null, default));
        Assert.Equal(QmpFailure.Oversized, e.Failure);
        var after = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("query-status", null, default));
        Assert.Equal(QmpFailure.Oversized, after.Failure);
    }

    [Theory]
    [InlineData("""{"return": {}, "id": "someone-else"}""")]
    [InlineData("""{"return": {}}""")]
    [InlineData("""{"retur": {}}""")]
    [InlineData("""<html>""")]
    public async Task A_malformed_or_unasked_reply_fails_the_command(string reply)
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer =>
        {
            await peer.ReadCommandAsync();
            await peer.SendAsync(reply);
            await Task.Delay(500);
        });
        await using var client = await ConnectAsync(server);
        var e = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("query-status", null, default));
        Assert.Equal(QmpFailure.Malformed, e.Failure);
    }

    [Fact]
    public async Task The_late_reply_of_a_cancelled_command_is_dropped_and_the_next_command_gets_its_own()
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer =>
        {
            var slow = await peer.ReadCommandAsync();
            var next = await peer.ReadCommandAsync();
            await peer.SendAsync($$"""{"return": {"status": "late"}, "id": "{{slow.Id}}"}""");
            await peer.SendAsync($$"""{"return": {"status": "running"}, "id": "{{next.Id}}"}""");
            await Task.Delay(1000);
        });
        await using var client = await ConnectAsync(server);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ExecuteAsync("query-status", null, giveUp.Token));
        var status = await client.ExecuteAsync("query-status", null, default);
        Assert.Equal("running", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_reply_nobody_asked_for_ends_the_connection()
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer =>
        {
            await peer.SendAsync("""{"return": {}, "id": "sg-99"}""");
            await Task.Delay(500);
        });
        await using var client = await ConnectAsync(server);
        var e = await Assert.ThrowsAsync<QmpException>(() =>
            client.WaitForEventAsync("STOP", null, client.EventMark, Patience, default));
        Assert.Equal(QmpFailure.Malformed, e.Failure);
    }

    [Fact]
    public async Task A_peer_that_closes_mid_command_is_reported_as_closed()
    {
        await using var server = new FakeQmpServer();
        server.RunNegotiated(async peer => await peer.ReadCommandAsync());
        await using var client = await ConnectAsync(server);
        var e = await Assert.ThrowsAsync<QmpException>(() => client.ExecuteAsync("quit", null, default));
        Assert.Equal(QmpFailure.Closed, e.Failure);
    }

    [Theory]
    [InlineData("""{"return": {}}""")]
    [InlineData("""{"QMP": {"capabilities": []}}""")]
    public async Task A_bad_greeting_is_refused(string greeting)
    {
        await using var server = new FakeQmpServer();
        server.Run(async peer =>
        {
            await peer.SendAsync(greeting);
            await Task.Delay(500);
        });
        var e = await Assert.ThrowsAsync<QmpException>(() => ConnectAsync(server));
        Assert.Equal(QmpFailure.Malformed, e.Failure);
    }

    [Fact]
    public async Task Refused_capabilities_negotiation_is_an_error_reply()
    {
        await using var server = new FakeQmpServer();
        server.Run(async peer =>
        {
            await peer.SendAsync(FakeQmpServer.Greeting);
            var c = await peer.ReadCommandAsync();
            await peer.SendAsync($$"""{"error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete"}, "id": "{{c.Id}}"}""");
            await Task.Delay(500);
        });
        var e = await Assert.ThrowsAsync<QmpException>(() => ConnectAsync(server));
        Assert.Equal(QmpFailure.ErrorReply, e.Failure);
    }
}
