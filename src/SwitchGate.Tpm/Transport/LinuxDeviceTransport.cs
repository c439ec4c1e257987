using System.Buffers.Binary;

namespace SwitchGate.Tpm.Transport;

/// <summary>
/// The Linux TPM character devices: <c>/dev/tpmrm0</c> (kernel resource manager, preferred: transient
/// objects are virtualised per open file) or <c>/dev/tpm0</c> (raw, one user). A command is one write(2),
/// the response one read(2) (Linux tpm-dev-common.c semantics).
/// </summary>
public sealed class LinuxDeviceTransport : ITpmTransport
{
    public const string ResourceManagerPath = "/dev/tpmrm0";
    public const string RawPath = "/dev/tpm0";

    private readonly FileStream _device;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public LinuxDeviceTransport(string path = ResourceManagerPath)
    {
        try
        {
            _device = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TpmTransportException($"cannot open {path}: {e.Message}", e);
        }
    }

    public async Task<byte[]> SendAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken = default)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _device.WriteAsync(command, cancellationToken).ConfigureAwait(false);
            var buffer = new byte[4096 + 64];
            var n = await _device.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n < 10) throw new TpmTransportException($"TPM device returned {n} bytes");
            var size = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(2, 4));
            if (size != n) throw new TpmTransportException($"TPM device returned {n} bytes for a {size}-byte response");
            return buffer.AsSpan(0, n).ToArray();
        }
        catch (IOException e)
        {
            throw new TpmTransportException($"TPM device I/O failed: {e.Message}", e);
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose()
    {
        _device.Dispose();
        _lock.Dispose();
    }
}
