using System.Diagnostics;
using System.Diagnostics.Metrics;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate;

/// <summary>
/// The gate's instruments (System.Diagnostics.Metrics; exported as Prometheus text by the operations layer).
/// Verdicts by kind and reason, revocations by cause, attestation latency and audit write latency.
/// </summary>
public static class GateMetrics
{
    public const string MeterName = "SwitchGate.Gate";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Every VERDICT decision, tagged verdict (admitted/denied/revoked) and reason (ReasonCode name).</summary>
    public static readonly Counter<long> Verdicts = Meter.CreateCounter<long>("switchgate_attestations", description: "Verdicts by verdict and reason");

    /// <summary>Revocations, tagged cause: the revocation reason (PortDown, LeaseExpired, …), or the failed check for ReattestationFailed.</summary>
    public static readonly Counter<long> Revocations = Meter.CreateCounter<long>("switchgate_revocations", description: "Revocations by cause");

    /// <summary>From the PACKET_IN that carried the attestation frame to its VERDICT handed to the switch session, seconds.</summary>
    public static readonly Histogram<double> AttestationLatency = Meter.CreateHistogram<double>("switchgate_attestation_latency_seconds", "s",
        "Attestation frame received to VERDICT sent");

    /// <summary>Time to make one step's audit entries durable (file append, and the store's commit when there is one), seconds.</summary>
    public static readonly Histogram<double> AuditWriteLatency = Meter.CreateHistogram<double>("switchgate_audit_write_seconds", "s",
        "Audit entries handed over to durable");

    internal static void Record(AuditEntry entry, long? frameTimestamp)
    {
        if (entry.Event != "verdict" || entry.Verdict is not { } verdict || entry.Reason is not { } reason)
            return;
        var kind = verdict.ToString().ToLowerInvariant();
        Verdicts.Add(1, new KeyValuePair<string, object?>("verdict", kind), new KeyValuePair<string, object?>("reason", reason.ToString()));
        if (verdict == Attestation.VerdictKind.Revoked)
            Revocations.Add(1, new KeyValuePair<string, object?>("cause", (entry.Cause ?? reason).ToString()));
        if (frameTimestamp is { } started)
            AttestationLatency.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("verdict", kind));
    }
}
