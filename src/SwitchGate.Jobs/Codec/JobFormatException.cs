namespace SwitchGate.Jobs.Codec;

/// <summary>
/// The one exception every job codec throws for input it refuses (malformed, oversized, truncated, unknown or
/// missing fields, values out of range, digests that do not match). <see cref="What"/> names the document.
/// </summary>
public sealed class JobFormatException(string what, string reason) : Exception($"{what} refused: {reason}")
{
    public string What { get; } = what;

    public string Reason { get; } = reason;
}
