using Microsoft.Extensions.Logging;
using SwitchGate.Attestation;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate;

/// <summary>
/// The gate's log events (event ids 1100-1199), source-generated with <see cref="LoggerMessageAttribute"/>: every
/// verdict and every dropped frame passes here, so a disabled level costs one check and nothing is boxed.
/// </summary>
internal static partial class GateLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "{Verdict} {Node} session {Session:X16}: {Reason}{Cause} ({Detail})")]
    public static partial void Verdict(this ILogger log, VerdictKind? verdict, string? node, ulong? session, ReasonCode? reason, string cause,
        string? detail);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "dropped attestation frame from 0x{Dpid:x16} port {Port}: {Reason} ({Detail})")]
    public static partial void FrameDropped(this ILogger log, ulong dpid, uint port, DropReason reason, string detail);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "audit store write failed, {Count} messages and {Batches} batches withheld: {Problem}")]
    public static partial void AuditWriteFailed(this ILogger log, int count, int batches, string problem);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "gate output dispatch failed")]
    public static partial void DispatchFailed(this ILogger log, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "gate batch {Ticket} for switch 0x{Dpid:x16} failed unexpectedly")]
    public static partial void BatchFailed(this ILogger log, Exception exception, long ticket, ulong dpid);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error,
        Message = "gate shutdown: {Batches} batches still in flight after {Timeout}s; their audit entries are lost")]
    public static partial void ShutdownBatchesLost(this ILogger log, int batches, double timeout);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Error, Message = "enrolment refused: {Problem}")]
    public static partial void EnrolmentRefused(this ILogger log, string problem);

    [LoggerMessage(EventId = 1111, Level = LogLevel.Information, Message = "enrolments: {Count} nodes ({Added} added, {Changed} changed, {Removed} removed)")]
    public static partial void EnrolmentsChanged(this ILogger log, int count, int added, int changed, int removed);

    [LoggerMessage(EventId = 1112, Level = LogLevel.Information,
        Message = "attestation gate on: {Nodes} nodes enrolled from {Directory}, audit log {Audit}, lease {Lease}s")]
    public static partial void GateOn(this ILogger log, int nodes, string directory, string audit, ushort lease);

    [LoggerMessage(EventId = 1113, Level = LogLevel.Error, Message = "enrolment reload failed, keeping the current enrolments: {Problem}")]
    public static partial void ReloadFailed(this ILogger log, string problem);
}
