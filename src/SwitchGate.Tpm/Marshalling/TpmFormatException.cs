namespace SwitchGate.Tpm.Marshalling;

/// <summary>
/// The one exception type for malformed TPM data: truncated buffers, bad sizes, unknown selectors,
/// trailing bytes. Parsers never throw anything else for bad input.
/// </summary>
public sealed class TpmFormatException : Exception
{
    public TpmFormatException(string message) : base(message) { }
}
