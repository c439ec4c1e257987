namespace SwitchGate.OpenFlow;

/// <summary>
/// The one exception type the decoder throws for malformed, truncated or unsupported input.
/// <see cref="Reason"/> (also the message) names the message type and the problem, e.g.
/// "OFPT_FLOW_MOD: match length 2 is less than the 4-byte ofp_match header".
/// </summary>
public sealed class OpenFlowFormatException : Exception
{
    public OpenFlowFormatException(string reason) : base(reason) => Reason = reason;

    public string Reason { get; }
}

/// <summary>
/// Thrown when ENCODING a match whose OXM fields break the rules of OpenFlow 1.3.5 §7.2.3.6/§7.2.3.8
/// (a missing or contradicting prerequisite, a duplicated field, a masked value with bits outside its mask).
/// It is an <see cref="ArgumentException"/> because the caller built an invalid message; a switch would
/// answer it with OFPET_BAD_MATCH (OFPBMC_BAD_PREREQ, OFPBMC_DUP_FIELD, OFPBMC_BAD_WILDCARDS).
/// </summary>
public sealed class InvalidMatchException : ArgumentException
{
    public InvalidMatchException(string reason) : base(reason) => Reason = reason;

    public string Reason { get; }
}
