using System.Text.Json.Nodes;
using SwitchGate.Attestation;
using SwitchGate.Attestation.Enrolment;
using SwitchGate.Controller.Sessions;
using SwitchGate.Gate;
using SwitchGate.Gate.Enrolment;
using SwitchGate.Gate.Policy;
using SwitchGate.OpenFlow;
using SwitchGate.Operations.Store;

namespace SwitchGate.Operations.Api;

public sealed record PortView(uint PortNo, string Name, string HwAddr, bool LinkDown, bool PortDown);

public sealed record SwitchView(string DatapathId, string Remote, string State, IReadOnlyList<PortView> Ports, uint? Flows, int? Meters, string? StatsError);

public sealed record VerdictView(DateTimeOffset Time, string Verdict, string? Reason, string? Cause, string? Detail);

/// <summary>A node as the API shows it. The enrolment's secret and AK are never shown.</summary>
public sealed record NodeView(
    string Node, string DatapathId, uint Port, string? CleanMac, string? DirtyMac, string? PcrSelection, IReadOnlyList<string>? GoldenSets,
    string State, bool Admitted, string? Session, double? LeaseLeftSeconds, string? PendingSession, VerdictView? LastVerdict,
    IReadOnlyList<JsonNode>? RecentAdmissions = null);

public sealed record AuditPage(IReadOnlyList<JsonNode> Items, long? NextAfter);

public enum EnrolOutcome
{
    Created,
    Replaced,
    Removed,
    Revoking,
    NotFound,
    Conflict,
    Refused,
}

/// <summary>
/// What the API reads and changes, without HTTP: the switches (registry), the gate's node states and enrolments,
/// and the store's history. Enrolment changes go through the enrolment directory (durable writes) and a reload,
/// so the files stay the one source of enrolments and can still be imported by copying them.
/// </summary>
public sealed class ApiQueries(SwitchRegistry registry, GateService? gate, OperationsStore? store, TimeProvider time)
{
    private readonly object _enrolLock = new();
    private (string Fingerprint, Dictionary<string, EnrolmentRecord> Records)? _records;

    public async Task<IReadOnlyList<SwitchView>> SwitchesAsync()
    {
        var sessions = registry.Sessions.OrderBy(s => s.DatapathId).ToList();
        return await Task.WhenAll(sessions.Select(DescribeAsync)).ConfigureAwait(false);
    }

    private static async Task<SwitchView> DescribeAsync(SwitchSession s)
    {
        uint? flows = null;
        int? meters = null;
        string? error = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var aggregate = s.RequestAsync(new MultipartRequest(new AggregateStatsRequest()), timeout.Token);
            var meterConfig = s.RequestAsync(new MultipartRequest(new MeterConfigRequest()), timeout.Token);
            if (await aggregate.ConfigureAwait(false) is MultipartReply { Body: AggregateStatsReply a })
                flows = a.FlowCount;
            if (await meterConfig.ConfigureAwait(false) is MultipartReply { Body: MeterConfigReply m })
                meters = m.Meters.Count;
        }
        catch (Exception e) when (e is SwitchErrorException or SessionClosedException or OperationCanceledException)
        {
            error = e is OperationCanceledException ? "no statistics reply within 2 s" : e.Message;
        }
        var ports = s.PortsSnapshot().Where(p => p.PortNo < OfpPort.Max).Select(p => new PortView(p.PortNo, p.Name, p.HwAddr.ToString(),
            p.State.HasFlag(PortState.LinkDown), p.Config.HasFlag(PortConfig.PortDown))).ToList();
        return new SwitchView(s.DatapathIdText, s.Remote, s.State.ToString(), ports, flows, meters, error);
    }

    private Dictionary<string, EnrolmentRecord> Records()
    {
        if (gate is null)
            return [];
        var fingerprint = gate.Enrolments.Fingerprint();
        if (_records is { } cached && cached.Fingerprint == fingerprint)
            return cached.Records;
        var records = gate.Enrolments.Load().Records.ToDictionary(r => r.Node, StringComparer.Ordinal);
        _records = (fingerprint, records);
        return records;
    }

    public IReadOnlyList<NodeView> Nodes()
    {
        if (gate is null)
            return [];
        var status = gate.Status();
        var records = Records();
        var last = store?.LastVerdicts() ?? new Dictionary<string, AuditRow>();
        return status.Nodes.Select(n => View(n, status.Time, records.GetValueOrDefault(n.Node), last.GetValueOrDefault(n.Node))).ToList();
    }

    public NodeView? Node(string name)
    {
        if (gate?.Status() is not { } status || status[name] is not { } node)
            return null;
        var recent = store?.Audit(node: name, verdicts: ["admitted", "revoked"], limit: 1000).TakeLast(20).Select(Item).ToList();
        var last = store?.LastVerdicts().GetValueOrDefault(name);
        return View(node, status.Time, Records().GetValueOrDefault(name), last) with { RecentAdmissions = recent };
    }

    private static NodeView View(NodeStatus n, DateTimeOffset now, EnrolmentRecord? record, AuditRow? last)
    {
        VerdictView? verdict = null;
        if (last is not null)
        {
            var json = JsonNode.Parse(last.Json)!;
            verdict = new VerdictView(last.Time, last.Verdict ?? "", last.Reason, (string?)json["cause"], (string?)json["detail"]);
        }
        return new NodeView(n.Node, SwitchSession.FormatDpid(n.DatapathId), n.Port,
            record is null ? null : record.CleanMac.ToString(), record is null ? null : record.DirtyMac.ToString(),
            record?.PcrSelection.ToString(), record?.GoldenSets.Select(g => g.Name).ToList(),
            n.State.ToString().ToLowerInvariant(), n.State == NodeGateState.Admitted, n.Session is { } s ? $"{s:X16}" : null,
            n.LeaseEnd is { } end ? Math.Max(0, Math.Round((end - now).TotalSeconds, 1)) : null,
            n.PendingSession is { } p ? $"{p:X16}" : null, verdict);
    }

    private static JsonNode Item(AuditRow row)
    {
        var node = JsonNode.Parse(row.Json)!.AsObject();
        node.Insert(0, "id", row.Id);
        return node;
    }

    /// <summary>A page of the audit trail (or of the admissions history); null without a store.</summary>
    public AuditPage? Audit(string? node, DateTimeOffset? since, DateTimeOffset? until, long after, int limit, bool verdictsOnly)
    {
        if (store is null)
            return null;
        var rows = store.Audit(node, since, until, after, limit, verdictsOnly ? ["admitted", "revoked"] : null);
        return new AuditPage(rows.Select(Item).ToList(), rows.Count == limit ? rows[^1].Id : null);
    }

    /// <summary>
    /// Writes the record durably into the enrolment directory and reloads. If the gate refuses it (a conflict with
    /// another node's port or MAC, an AK it cannot import), the previous file is put back and the refusal returned.
    /// </summary>
    public (EnrolOutcome Outcome, string? Problem) Enrol(EnrolmentRecord record, bool replace, string who)
    {
        if (gate is null)
            return (EnrolOutcome.Refused, "the attestation gate is off (gate.enrolments)");
        lock (_enrolLock)
        {
            var path = Path.Combine(gate.Enrolments.Directory, record.Node + EnrolmentStore.Extension);
            byte[]? previous = File.Exists(path) ? File.ReadAllBytes(path) : null;
            if (previous is not null && !replace)
                return (EnrolOutcome.Conflict, $"node '{record.Node}' is already enrolled (PUT /api/v1/nodes/{record.Node} replaces it)");
            // Checked before writing: the gate refuses every record of a clash, so a clashing file would also unenrol the node it clashes with.
            if (Clash(record) is { } clash)
                return (EnrolOutcome.Refused, clash);
            try
            {
                NodeEnrolment.From(record).Dispose();
            }
            catch (EnrolmentFormatException e)
            {
                return (EnrolOutcome.Refused, e.Message);
            }
            gate.Enrolments.Save(record);
            gate.Reload();
            var refused = gate.Status().RejectedEnrolments.FirstOrDefault(r => r.StartsWith(record.Node + EnrolmentStore.Extension + ":", StringComparison.Ordinal));
            if (refused is not null || gate.Status()[record.Node] is null)
            {
                if (previous is not null)
                    DurableFile.WriteAllBytes(path, previous);
                else
                    gate.Enrolments.Delete(record.Node);
                gate.Reload();
                return (EnrolOutcome.Refused, refused ?? $"node '{record.Node}' was not enrolled");
            }
            return (previous is null ? EnrolOutcome.Created : EnrolOutcome.Replaced, null);
        }
    }

    private string? Clash(EnrolmentRecord record)
    {
        foreach (var other in Records().Values.Where(r => r.Node != record.Node))
        {
            if (other.DatapathId == record.DatapathId && other.Port == record.Port)
                return $"invalid enrolment: its datapath and port are also enrolled in {other.Node}.json";
            var otherMacs = new[] { other.CleanMac.ToString(), other.DirtyMac.ToString() };
            foreach (var mac in new[] { record.CleanMac.ToString(), record.DirtyMac.ToString() })
                if (otherMacs.Contains(mac))
                    return $"invalid enrolment: MAC {mac} is also enrolled in {other.Node}.json";
        }
        return null;
    }

    public EnrolOutcome Remove(string name, string who)
    {
        if (gate is null)
            return EnrolOutcome.NotFound;
        lock (_enrolLock)
        {
            if (!gate.Enrolments.Delete(name))
                return EnrolOutcome.NotFound;
            gate.Reload();
            return EnrolOutcome.Removed;
        }
    }

    public EnrolOutcome Revoke(string name, string who)
    {
        if (gate?.Status()[name] is null)
            return EnrolOutcome.NotFound;
        return gate.RevokeNow(name, $"revoked by the operator (API token '{who}')") ? EnrolOutcome.Revoking : EnrolOutcome.Conflict;
    }

    public TimeProvider Time => time;
}
