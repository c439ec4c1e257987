namespace SwitchGate.Hypervisor;

/// <summary>
/// QEMU could not do what was asked: it would not start, exited early, refused a saved state, or the
/// guest misbehaved (e.g. flooded its serial log). The message says which, quoting QEMU's own words.
/// </summary>
public class QemuException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What went wrong on the QMP connection.</summary>
public enum QmpFailure
{
    /// <summary>QEMU answered a command with an <c>error</c> object (see <see cref="QmpException.ErrorClass"/>).</summary>
    ErrorReply,
    /// <summary>A message that is not one JSON object of a known QMP shape, or a reply nobody asked for.</summary>
    Malformed,
    /// <summary>A message longer than the client's bound (a hostile or broken peer cannot make us buffer without limit).</summary>
    Oversized,
    /// <summary>The connection closed (QEMU exited) while something was still expected from it.</summary>
    Closed,
}

/// <summary>The QMP client's one exception type: error replies, malformed or oversized messages, a closed connection.</summary>
public sealed class QmpException : QemuException
{
    public QmpException(QmpFailure failure, string message, string? errorClass = null, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        ErrorClass = errorClass;
    }

    public QmpFailure Failure { get; }

    /// <summary>QEMU's error class (e.g. <c>GenericError</c>, <c>DeviceNotFound</c>) for <see cref="QmpFailure.ErrorReply"/>.</summary>
    public string? ErrorClass { get; }
}
