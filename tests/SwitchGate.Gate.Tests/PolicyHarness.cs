using SwitchGate.Attestation;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;

namespace SwitchGate.Gate.Tests;

/// <summary>
/// Drives the pure <see cref="GatePolicy"/> like the service does, with a controllable clock and a switch
/// that confirms (or fails) every batch. Everything the policy emits is kept for assertions.
/// </summary>
internal sealed class PolicyHarness : IDisposable
{
    public const ulong Dpid = 0xA1;

    public PolicyHarness(params TestNode[] nodes)
        : this(null, nodes)
    {
    }

    /// <param name="configure">Changes the default options (lease 30 s, nonce lifetime 5 s) before the policy is made.</param>
    public PolicyHarness(Action<GateOptions>? configure, params TestNode[] nodes)
        : this(configure, null, nodes)
    {
    }

    /// <param name="proofKeys">Verifier states as the store would load them (a controller restarted after rotations).</param>
    public PolicyHarness(Action<GateOptions>? configure, IReadOnlyDictionary<string, ProofKeyState>? proofKeys, params TestNode[] nodes)
    {
        Options = new GateOptions { Lease = TimeSpan.FromSeconds(30), NonceLifetime = TimeSpan.FromSeconds(5) };
        configure?.Invoke(Options);
        Policy = new GatePolicy(Options);
        Nodes = nodes;
        Apply(o => Policy.SetEnrolments(nodes.Select(n => n.Record).ToList(), [], Now, o, proofKeys));
    }

    public GateOptions Options { get; }
    public GatePolicy Policy { get; }
    public TestNode[] Nodes { get; }
    public DateTimeOffset Now { get; set; } = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Set to make the switch answer batches with this failure instead of a barrier reply.</summary>
    public string? BatchFailure { get; set; }

    public List<(ulong Dpid, OfpMessage Message)> Sent { get; } = new();
    public List<GateBatch> Batches { get; } = new();
    public List<AuditEntry> Audit { get; } = new();
    public List<DroppedFrame> Dropped { get; } = new();
    public List<ProofKeyState> ProofKeys { get; } = new();

    /// <summary>Attestation messages the controller sent to a node (PACKET_OUT payloads), with their output port.</summary>
    public List<(uint Port, AttestationMessage Message)> ToNodes { get; } = new();

    public void Advance(TimeSpan by) => Now += by;

    /// <summary>Runs one policy step and then confirms every batch it produced, recursively.</summary>
    public GateOutput Apply(Action<GateOutput> step)
    {
        var output = new GateOutput();
        step(output);
        Record(output);
        foreach (var batch in output.Batches.ToList())
            Apply(o => Policy.Confirm(batch.Ticket, BatchFailure, Now, o));
        return output;
    }

    /// <summary>Runs one step without confirming its batches (they stay pending in the policy).</summary>
    public GateOutput ApplyUnconfirmed(Action<GateOutput> step)
    {
        var output = new GateOutput();
        step(output);
        Record(output);
        return output;
    }

    public void Confirm(GateBatch batch, string? failure = null) => Apply(o => Policy.Confirm(batch.Ticket, failure, Now, o));

    private void Record(GateOutput output)
    {
        Sent.AddRange(output.Messages);
        Batches.AddRange(output.Batches);
        Audit.AddRange(output.Audit);
        Dropped.AddRange(output.Dropped);
        ProofKeys.AddRange(output.ProofKeys);
        foreach (var (_, m) in output.Messages)
            if (m is PacketOut { Actions: [ActionOutput o] } po)
                ToNodes.Add((o.Port, AttestationFrame.Parse(po.Data).Message));
    }

    public GateOutput Frame(TestNode node, byte[] frame, uint? port = null, ulong? dpid = null) =>
        Apply(o => Policy.Frame(dpid ?? node.DatapathId, port ?? node.Port, frame, Now, o));

    public T Last<T>() where T : AttestationMessage => ToNodes.Select(t => t.Message).OfType<T>().Last();

    public Verdict LastVerdict => Last<Verdict>();

    public Challenge Challenge(TestNode node, ulong session = 0)
    {
        int before = ToNodes.Count;
        Frame(node, node.Hello(session));
        var challenge = ToNodes.Skip(before).Select(t => t.Message).OfType<Challenge>().SingleOrDefault();
        return challenge ?? throw new InvalidOperationException($"no CHALLENGE; got {string.Join(", ", ToNodes.Skip(before).Select(t => t.Message))}");
    }

    /// <summary>A full honest exchange; returns the VERDICT.</summary>
    public Verdict Attest(TestNode node, ulong session = 0)
    {
        var challenge = Challenge(node, session);
        int before = ToNodes.Count;
        Frame(node, node.Frame(node.Evidence(challenge)));
        var verdict = ToNodes.Skip(before).Select(t => t.Message).OfType<Verdict>().Last();
        if (verdict.Kind == VerdictKind.Admitted)
        {
            node.Session = verdict.SessionId;
            node.AdmittedNonce = challenge.Nonce.ToArray();
        }
        return verdict;
    }

    public NodeStatus Status(TestNode node) => Policy.Status(Now)[node.Name]!;

    public void Dispose()
    {
        Policy.Dispose();
        foreach (var n in Nodes)
            n.Dispose();
    }
}
