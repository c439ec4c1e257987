namespace SwitchGate.Tpm.Transport;

/// <summary>Sends one marshalled TPM command and returns the whole response buffer (TPM 2.0 Part 3, §5).</summary>
public interface ITpmTransport : IDisposable
{
    Task<byte[]> SendAsync(ReadOnlyMemory<byte> command, CancellationToken cancellationToken = default);
}

/// <summary>The transport could not talk to the TPM (connection lost, short read, oversized response).</summary>
public sealed class TpmTransportException : Exception
{
    public TpmTransportException(string message, Exception? inner = null) : base(message, inner) { }
}
