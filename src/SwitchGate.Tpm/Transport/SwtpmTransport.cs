using System.Buffers.Binary;
using System.Net.Sockets;

namespace SwitchGate.Tpm.Transport;

/// <summary>
/// swtpm's TCP data socket (<c>--server type=tcp</c>): raw TPM command bytes in, raw response bytes out. swtpm
/// serves one connection at a time, so dispose this before another client (e.g. tpm2-tools) needs the TPM.
/// </summary>
public sealed class SwtpmTransport : ITpmTransport
{
    /// <summary>Larger than any TPM response (MAX_RESPONSE_SIZE is 4096 on swtpm); a bigger size field means a broken peer.</summary>
    private const int MaxResponseSize = 64 * 1024;

    private readonly TcpClient _client;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>
    /// Why the byte stream is out of step, once a command was written but its response was not read whole (cancelled,
    /// failed, or malformed): the next bytes on the socket would be the rest of the old response, read as a new one.
    /// Such a transport refuses every further command; the caller reconnects.
    /// </summary>
    private string? _poisoned;

    private SwtpmTransport(TcpClient client)
    {
        _client = client;
        _client.NoDelay = true;
        _stream = client.GetStream();
    }

    public static async Task<SwtpmTransport> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new SwtpmTransport(client);
        }
        catch (SocketException e)
        {
            client.Dispose();
            throw new TpmTransportException($"cannot connect to swtpm at {host}:{port}: {e.Message}", e);
        }
    }

    public async Task<byte[]> SendAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        bool complete = false;
        try
        {
            if (_poisoned is not null)
                throw new TpmTransportException($"swtpm connection unusable after an earlier command {_poisoned}; reconnect");
            await _stream.WriteAsync(command, cancellationToken).ConfigureAwait(false);
            var header = new byte[10];
            await ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
            var size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2, 4));
            if (size < 10 || size > MaxResponseSize)
                throw new TpmTransportException($"swtpm answered a response size of {size}");
            var response = new byte[size];
            header.CopyTo(response, 0);
            await ReadExactlyAsync(response.AsMemory(10), cancellationToken).ConfigureAwait(false);
            complete = true;
            return response;
        }
        catch (IOException e)
        {
            _poisoned ??= $"failed ({e.Message})";
            throw new TpmTransportException($"swtpm connection failed: {e.Message}", e);
        }
        catch (OperationCanceledException)
        {
            _poisoned ??= "was cancelled mid-exchange";
            throw;
        }
        catch (TpmTransportException e)
        {
            _poisoned ??= $"failed ({e.Message})";
            throw;
        }
        finally
        {
            if (!complete)
                _poisoned ??= "did not complete";
            _lock.Release();
        }
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken ct)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException e)
        {
            throw new TpmTransportException("swtpm closed the connection mid-response", e);
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _client.Dispose();
        _lock.Dispose();
    }
}
