using System.Buffers.Binary;
using System.Net.Sockets;
using SwitchGate.OpenFlow;

namespace SwitchGate.TestSupport.OpenFlow;

/// <summary>Handles one whole OpenFlow message (header included); false ends the read loop.</summary>
public delegate bool OfpMessageHandler(ReadOnlySpan<byte> message);

/// <summary>
/// The load generators' receive loop: whole OpenFlow messages cut from a socket by their ofp_header length into one
/// reused buffer, handed over as spans without copying or decoding (the hot path decides what to decode).
/// </summary>
public static class OfpSocketReader
{
    /// <summary>Reads until the peer closes, a handler returns false or the socket fails; returns why it stopped.</summary>
    public static async Task<string> RunAsync(Socket socket, OfpMessageHandler handle, Action? afterEachReceive = null)
    {
        var buffer = new byte[1 << 20];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                if (end == buffer.Length)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                int n = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                    return "controller closed the connection";
                end += n;
                while (end - start >= OfpConstants.HeaderLength)
                {
                    int length = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(start + 2));
                    if (length < OfpConstants.HeaderLength)
                        return $"malformed ofp_header: length {length}";
                    if (end - start < length)
                        break;
                    if (!handle(buffer.AsSpan(start, length)))
                        return "stopped by the handler";
                    start += length;
                }
                if (start == end)
                    start = end = 0;
                afterEachReceive?.Invoke();
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return $"receive failed: {ex.Message}";
        }
        catch (OpenFlowFormatException ex)
        {
            return $"malformed message from the controller: {ex.Message}";
        }
    }
}
