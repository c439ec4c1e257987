namespace SwitchGate.Gate.Policy;

/// <summary>Where one enrolled node stands (docs/protocol.md §7.2, as implemented in docs/gate.md).</summary>
public enum NodeGateState
{
    Idle,
    /// <summary>A CHALLENGE is outstanding (and no admission exists).</summary>
    Challenged,
    /// <summary>EVIDENCE passed; the admission flows are on their way to the switch, no VERDICT yet.</summary>
    Installing,
    /// <summary>Admission flows confirmed by a barrier and VERDICT Admitted sent.</summary>
    Admitted,
}

public sealed record NodeStatus(
    string Node,
    ulong DatapathId,
    uint Port,
    NodeGateState State,
    ulong? Session,
    DateTimeOffset? LeaseEnd,
    ulong? PendingSession,
    uint? LastResetCount);

/// <summary>A consistent snapshot of every enrolled node and the enrolment files that were refused.</summary>
public sealed record GateStatus(DateTimeOffset Time, IReadOnlyList<NodeStatus> Nodes, IReadOnlyList<string> RejectedEnrolments)
{
    public NodeStatus? this[string node] => Nodes.FirstOrDefault(n => n.Node == node);

    public IEnumerable<NodeStatus> Admitted => Nodes.Where(n => n.State == NodeGateState.Admitted);
}
