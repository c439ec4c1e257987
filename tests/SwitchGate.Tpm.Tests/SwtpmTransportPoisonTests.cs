using System.Net;
using System.Net.Sockets;
using SwitchGate.Tpm.Transport;

namespace SwitchGate.Tpm.Tests;

/// <summary>
/// A transport whose exchange was cancelled or failed half-way is out of step with the byte stream (the rest of the
/// old response would be read as the next one): it must refuse further commands instead of answering wrongly. The
/// peer is a scripted socket on loopback standing in for swtpm's data port.
/// </summary>
public sealed class SwtpmTransportPoisonTests : IAsyncDisposable
{
    private static readonly byte[] Command = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8]; // TPM2_GetRandom(8)
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public SwtpmTransportPoisonTests() => _listener.Start();

    public ValueTask DisposeAsync()
    {
        _listener.Stop();
        return ValueTask.CompletedTask;
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private static byte[] Response(int extra) => [0x80, 0x01, 0, 0, 0, (byte)(10 + extra), 0, 0, 0, 0, .. new byte[extra]];

    [Fact]
    public async Task A_read_cancelled_mid_response_poisons_the_transport()
    {
        using var transport = await SwtpmTransport.ConnectAsync("127.0.0.1", Port);
        using var peer = await _listener.AcceptTcpClientAsync();
        var stream = peer.GetStream();
        using var cancel = new CancellationTokenSource();
        var first = transport.SendAsync(Command, cancel.Token);
        await stream.ReadExactlyAsync(new byte[Command.Length]);
        await stream.WriteAsync(Response(8).AsMemory(0, 6)); // half a header, then nothing
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);

        // The rest of the old response arrives now: a reused transport would return it as the answer to the next command.
        await stream.WriteAsync(Response(8).AsMemory(6));
        var again = await Assert.ThrowsAsync<TpmTransportException>(() => transport.SendAsync(Command));
        Assert.Contains("cancelled", again.Message);
        Assert.Contains("reconnect", again.Message);
    }

    [Fact]
    public async Task A_malformed_response_size_poisons_the_transport_and_nothing_more_is_written()
    {
        using var transport = await SwtpmTransport.ConnectAsync("127.0.0.1", Port);
        using var peer = await _listener.AcceptTcpClientAsync();
        var stream = peer.GetStream();
        var first = transport.SendAsync(Command);
        await stream.ReadExactlyAsync(new byte[Command.Length]);
        await stream.WriteAsync(new byte[] { 0x80, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 });
        await Assert.ThrowsAsync<TpmTransportException>(() => first);

        await Assert.ThrowsAsync<TpmTransportException>(() => transport.SendAsync(Command));
        peer.Client.Shutdown(SocketShutdown.Send);
        transport.Dispose();
        var rest = new byte[64];
        Assert.Equal(0, await stream.ReadAsync(rest)); // the refused command never reached the peer
    }

    [Fact]
    public async Task A_complete_exchange_leaves_the_transport_usable()
    {
        using var transport = await SwtpmTransport.ConnectAsync("127.0.0.1", Port);
        using var peer = await _listener.AcceptTcpClientAsync();
        var stream = peer.GetStream();
        for (int i = 0; i < 2; i++)
        {
            var call = transport.SendAsync(Command);
            await stream.ReadExactlyAsync(new byte[Command.Length]);
            await stream.WriteAsync(Response(8));
            Assert.Equal(18, (await call).Length);
        }
    }
}
