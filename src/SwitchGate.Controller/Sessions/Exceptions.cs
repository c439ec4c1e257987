using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Sessions;

/// <summary>The switch answered one or more messages with OFPT_ERROR (OpenFlow 1.3.5 §7.4.4).</summary>
public sealed class SwitchErrorException : Exception
{
    public SwitchErrorException(IReadOnlyList<(ErrorMsg Error, OfpMessage? Request)> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>Every ERROR received for the batch, with the message it answered when known.</summary>
    public IReadOnlyList<(ErrorMsg Error, OfpMessage? Request)> Errors { get; }

    /// <summary>The first ERROR the switch sent.</summary>
    public ErrorMsg Error => Errors[0].Error;

    private static string Describe(IReadOnlyList<(ErrorMsg Error, OfpMessage? Request)> errors)
    {
        var (e, req) = errors[0];
        string what = req is null ? $"xid {e.Xid}" : $"{req.Type} xid {e.Xid}";
        string more = errors.Count > 1 ? $" (and {errors.Count - 1} more)" : "";
        return $"switch rejected {what}: {ErrorText.Describe(e)}{more}";
    }
}

/// <summary>The session closed before the request was answered; <see cref="Exception.Message"/> is the close reason.</summary>
public sealed class SessionClosedException(string reason) : Exception(reason);

/// <summary>The switch broke the protocol (a message it must not send, or one at the wrong time).</summary>
public sealed class ProtocolViolationException(string reason) : Exception(reason);
