using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using SwitchGate.OpenFlow;

namespace SwitchGate.LoadGen;

/// <summary>
/// The thinnest possible controller for the raw ceiling: one accepted connection, HELLO and FEATURES by hand,
/// then whatever bytes the caller writes. The reader answers ECHO_REQUESTs (§6.3.2) and hands every other
/// message to <see cref="NextAsync"/>.
/// </summary>
internal sealed class RawController : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<OfpMessage> _inbox = Channel.CreateUnbounded<OfpMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _reader;

    private RawController(Socket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadLoopAsync);
    }

    public ulong DatapathId { get; private set; }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope",
        Justification = "returned to the caller on success, disposed (asynchronously) on failure; the analyzer does not follow DisposeAsync in a catch")]
    public static async Task<RawController> AcceptAsync(Socket listener, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var socket = await listener.AcceptAsync(cts.Token).ConfigureAwait(false);
        socket.NoDelay = true;
        var controller = new RawController(socket);
        try
        {
            await controller.HandshakeAsync(timeout).ConfigureAwait(false);
        }
        catch
        {
            // A failed handshake leaves nobody holding the connection: close it here.
            await controller.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return controller;
    }

    private async Task HandshakeAsync(TimeSpan timeout)
    {
        await SendAsync(OfpCodec.Encode(Hello.VersionBitmap(OfpConstants.Version))).ConfigureAwait(false);
        await NextAsync<Hello>(timeout).ConfigureAwait(false);
        await SendAsync(OfpCodec.Encode(new FeaturesRequest { Xid = 1 })).ConfigureAwait(false);
        DatapathId = (await NextAsync<FeaturesReply>(timeout).ConfigureAwait(false)).DatapathId;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            while (!bytes.IsEmpty)
                bytes = bytes[await _socket.SendAsync(bytes, SocketFlags.None).ConfigureAwait(false)..];
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The next message of type <typeparamref name="T"/>; an ERROR on the way throws, others are skipped.</summary>
    public async Task<T> NextAsync<T>(TimeSpan timeout)
        where T : OfpMessage
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var message = await _inbox.Reader.ReadAsync(cts.Token).ConfigureAwait(false);
            if (message is T wanted)
                return wanted;
            if (message is ErrorMsg or ErrorExperimenterMsg)
                throw new InvalidOperationException($"switch answered with {message}");
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(new NetworkStream(_socket, ownsSocket: false));
        try
        {
            while (true)
            {
                var result = await input.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                while (OfpFrameReader.TryRead(ref buffer, out var message))
                {
                    if (message is EchoRequest echo)
                        await SendAsync(OfpCodec.Encode(new EchoReply(echo.Data) { Xid = echo.Xid })).ConfigureAwait(false);
                    else
                        _inbox.Writer.TryWrite(message);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                    break;
            }
            _inbox.Writer.TryComplete(new IOException("switch closed the connection"));
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OpenFlowFormatException)
        {
            _inbox.Writer.TryComplete(ex);
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        _socket.Dispose();
        await _reader.ConfigureAwait(false);
    }

    public static Socket Listen(out int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }
}
