using SwitchGate.Attestation;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Policy;

/// <summary>
/// One audit record (a JSON line of the audit log, docs/gate.md "Audit log"): every verdict with its reason,
/// failed admission installs, and enrolment changes.
/// </summary>
public sealed record AuditEntry
{
    public required DateTimeOffset Time { get; init; }

    /// <summary><c>verdict</c>, <c>denials_aggregated</c>, <c>install_failed</c>, <c>enrolment_added</c>, <c>enrolment_changed</c>, <c>enrolment_removed</c>, <c>enrolment_rejected</c>.</summary>
    public required string Event { get; init; }

    public string? Node { get; init; }
    public ulong? DatapathId { get; init; }
    public uint? Port { get; init; }
    public ulong? Session { get; init; }
    public VerdictKind? Verdict { get; init; }
    public ReasonCode? Reason { get; init; }
    public ReasonCode? Cause { get; init; }
    public ushort? LeaseSeconds { get; init; }

    /// <summary>For revocations: whether the switch confirmed the deletion with a barrier (false: not connected or failed).</summary>
    public bool? Confirmed { get; init; }

    /// <summary>For <c>denials_aggregated</c>: how many denials of this node for this reason were counted instead of audited.</summary>
    public long? Count { get; init; }

    /// <summary>For <c>denials_aggregated</c>: when the window began (the one audited denial).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Human detail: the failed check's one-line reason, the switch's ERROR, the file name.</summary>
    public string? Detail { get; init; }
}

/// <summary>A batch the service must send with a trailing barrier, then report through <see cref="GatePolicy.Confirm"/>.</summary>
public sealed record GateBatch(long Ticket, ulong DatapathId, IReadOnlyList<OfpMessage> Messages);

/// <summary>What one policy step asks the I/O layer to do, in order: audit first, then messages, then batches.</summary>
public sealed class GateOutput
{
    /// <summary>Fire-and-forget messages (PACKET_OUTs of CHALLENGE and denials, meters of new ports).</summary>
    public List<(ulong DatapathId, OfpMessage Message)> Messages { get; } = new();

    /// <summary>Barrier-confirmed batches (admission and revocation flows); each must be confirmed exactly once.</summary>
    public List<GateBatch> Batches { get; } = new();

    public List<AuditEntry> Audit { get; } = new();

    /// <summary>Verifier states to write durably (<c>&lt;node&gt;.proofkey</c>) after the audit and before any message goes out.</summary>
    public List<ProofKeyState> ProofKeys { get; } = new();

    /// <summary>Frames dropped without an answer (counted; logged, not audited).</summary>
    public List<DroppedFrame> Dropped { get; } = new();

    public bool IsEmpty => Messages.Count == 0 && Batches.Count == 0 && Audit.Count == 0 && Dropped.Count == 0 && ProofKeys.Count == 0;
}

/// <summary>One attestation frame dropped without an answer, and why.</summary>
public sealed record DroppedFrame(ulong DatapathId, uint Port, DropReason Reason, string Detail);

/// <summary>Why an attestation frame was dropped without an answer (docs/protocol.md §10, §7.2).</summary>
public enum DropReason
{
    /// <summary>From a port no node is enrolled on (or another switch's port): never answered.</summary>
    UnenrolledPort,
    /// <summary>A non-HELLO frame whose source MAC is not the port's enrolled clean MAC.</summary>
    SourceMacMismatch,
    /// <summary>The codec rejected it (see <see cref="GateCounters.MalformedByError"/>).</summary>
    Malformed,
    /// <summary>A controller-to-agent message type (CHALLENGE, VERDICT) arriving from a port.</summary>
    UnexpectedMessageType,
    /// <summary>The packet-in did not carry an in_port.</summary>
    NoInPort,
    /// <summary>A ROTATED for no pending rotation (replayed, stale), another session, or not proven by the pending key.</summary>
    RotationRefused,
}
