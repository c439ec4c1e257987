using System.Buffers.Binary;
using System.Net.Sockets;

namespace SwitchGate.Tpm.Transport;

/// <summary>
/// swtpm's control channel (<c>--ctrl type=tcp</c>), the protocol <c>swtpm_ioctl --tcp</c> speaks: a
/// big-endian UINT32 command code, its input, then a big-endian UINT32 TPM result (swtpm's
/// <c>ptm_*</c> structures, man swtpm-ioctl). Used by tests to emulate power cycles.
/// </summary>
public static class SwtpmControl
{
    /// <summary>CMD_INIT: power the TPM on again (a reset; the next command must be Startup).</summary>
    public const uint CmdInit = 0x02;
    /// <summary>CMD_SHUTDOWN: stop the TPM and make swtpm exit.</summary>
    public const uint CmdShutdown = 0x03;

    /// <summary>Emulated power cycle (what <c>swtpm_ioctl -i</c> does); init flags 0 keep the volatile state file out of it.</summary>
    public static Task InitAsync(string host, int ctrlPort, CancellationToken ct = default) =>
        SendAsync(host, ctrlPort, CmdInit, BigEndian(0u), ct);

    /// <summary>Stops swtpm through its control channel (what <c>swtpm_ioctl -s</c> does).</summary>
    public static Task ShutdownAsync(string host, int ctrlPort, CancellationToken ct = default) =>
        SendAsync(host, ctrlPort, CmdShutdown, [], ct);

    private static byte[] BigEndian(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, v);
        return b;
    }

    private static async Task SendAsync(string host, int port, uint command, byte[] input, CancellationToken ct)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(host, port, ct).ConfigureAwait(false);
            var stream = client.GetStream();
            var message = new byte[4 + input.Length];
            BinaryPrimitives.WriteUInt32BigEndian(message, command);
            input.CopyTo(message, 4);
            await stream.WriteAsync(message, ct).ConfigureAwait(false);
            var result = new byte[4];
            await stream.ReadExactlyAsync(result, ct).ConfigureAwait(false);
            var rc = BinaryPrimitives.ReadUInt32BigEndian(result);
            if (rc != 0) throw new TpmTransportException($"swtpm control command 0x{command:X2} answered 0x{rc:X}");
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            throw new TpmTransportException($"swtpm control channel {host}:{port}: {e.Message}", e);
        }
    }
}
