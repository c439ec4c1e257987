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
        try
        {
            await _stream.WriteAsync(command, cancellationToken).ConfigureAwait(false);
            var header = new byte[10];
            await ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
            var size = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(2, 4));
            if (size < 10 || size > MaxResponseSize)
                throw new TpmTransportException($"swtpm answered a response size of {size}");
            var response = new byte[size];
            header.CopyTo(response, 0);
            await ReadExactlyAsync(response.AsMemory(10), cancellationToken).ConfigureAwait(false);
            return response;
        }
        catch (IOException e)
        {
            throw new TpmTransportException($"swtpm connection failed: {e.Message}", e);
        }
        finally
        {
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
