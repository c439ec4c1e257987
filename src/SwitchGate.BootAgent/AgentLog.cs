using Microsoft.Extensions.Logging;
using SwitchGate.Attestation;
using SwitchGate.BootAgent.Core;
using SwitchGate.Ethernet;
using SwitchGate.Jobs.Model;

namespace SwitchGate.BootAgent;

/// <summary>
/// The agent service's log events (event ids 1300-1399), source-generated with <see cref="LoggerMessageAttribute"/>:
/// the frame loop logs per frame and per action, so a disabled level costs one check and nothing is boxed. The
/// texts are the agent's line format (key=value), which scripts and the rack tests read; changing one changes a
/// contract. One-shot commands (AgentCommands) log with the extension methods: see docs/decisions.md.
/// </summary>
internal static partial class AgentLog
{
    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "stopped state={State}")]
    public static partial void Stopped(this ILogger log, AgentState state);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "depart-requested force={Force}")]
    public static partial void DepartRequested(this ILogger log, bool force);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Debug, Message = "ignored malformed frame: {Reason}")]
    public static partial void MalformedFrame(this ILogger log, string reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Information, Message = "ignored {Type} session={Session:x16} from={Source} to={Destination} state={State}")]
    public static partial void IgnoredFrame(this ILogger log, MessageType type, ulong session, MacAddress source, MacAddress destination, AgentState state);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Debug, Message = "sent {Type} session={Session:x16}")]
    public static partial void Sent(this ILogger log, MessageType type, ulong session);

    [LoggerMessage(EventId = 1305, Message = "{Line}")]
    public static partial void Report(this ILogger log, LogLevel level, string line);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Information, Message = "exchange session={Session:x16} kind={Kind} total_ms={Total:F3} tpm_ms={Tpm:F3}")]
    public static partial void Exchange(this ILogger log, ulong session, string kind, double total, double tpm);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Error, Message = "taint-failed reason=\"{Reason}\" nic=clean")]
    public static partial void TaintFailed(this ILogger log, string reason);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Information, Message = "tainted pcr={Pcr} event=\"{Event}\"")]
    public static partial void Tainted(this ILogger log, int pcr, string @event);

    [LoggerMessage(EventId = 1309, Level = LogLevel.Information, Message = "dirty mac={Mac} confirmed={Confirmed} why=\"{Why}\"")]
    public static partial void Dirty(this ILogger log, MacAddress mac, string confirmed, string why);

    // The "error:" prefix is the agent's line format for a usage error (the exit code says the same), not a level.
#pragma warning disable SYSLIB1012
    [LoggerMessage(EventId = 1310, Level = LogLevel.Error, Message = "error: {Message}")]
    public static partial void ConfigurationError(this ILogger log, string message);
#pragma warning restore SYSLIB1012

    [LoggerMessage(EventId = 1311, Level = LogLevel.Error, Message = "failed reason=\"{Reason}\"")]
    public static partial void Failed(this ILogger log, string reason);

    [LoggerMessage(EventId = 1312, Level = LogLevel.Debug, Message = "control connection ended: {Reason}")]
    public static partial void ControlConnectionEnded(this ILogger log, string reason);

    [LoggerMessage(EventId = 1313, Level = LogLevel.Warning, Message = "attestation run ended: {Reason}")]
    public static partial void AttestationRunEnded(this ILogger log, string reason);

    [LoggerMessage(EventId = 1320, Level = LogLevel.Warning, Message = "job id={Id} refused=\"{Error}\"")]
    public static partial void JobRefused(this ILogger log, string id, string? error);

    [LoggerMessage(EventId = 1321, Level = LogLevel.Information, Message = "jobs-start mode={Mode} active={Active} state={State}")]
    public static partial void JobsStart(this ILogger log, string mode, string active, string state);

    [LoggerMessage(EventId = 1322, Level = LogLevel.Warning, Message = "node is dirty without a job in the dirty phase: rebooting")]
    public static partial void DirtyWithoutJob(this ILogger log);

    [LoggerMessage(EventId = 1323, Level = LogLevel.Information, Message = "job id={Id} step={Step} took_ms={Ms:F0} outcome={Outcome}")]
    public static partial void JobStep(this ILogger log, string id, string step, double ms, string outcome);

    [LoggerMessage(EventId = 1324, Level = LogLevel.Information, Message = "job id={Id} guest pid={Pid} accelerator={Accel} memory_mib={Mem}")]
    public static partial void JobGuest(this ILogger log, string id, int pid, string accel, int mem);

    [LoggerMessage(EventId = 1325, Level = LogLevel.Information, Message = "job id={Id} booted line=\"{Line}\"")]
    public static partial void JobBooted(this ILogger log, string id, string line);

    [LoggerMessage(EventId = 1326, Level = LogLevel.Information, Message = "job id={Id} saved state_bytes={Size}")]
    public static partial void JobSaved(this ILogger log, string id, long size);

    [LoggerMessage(EventId = 1327, Level = LogLevel.Warning, Message = "job id={Id} stopping stale guest pid={Pid}")]
    public static partial void StaleGuest(this ILogger log, string id, int pid);

    [LoggerMessage(EventId = 1328, Level = LogLevel.Information, Message = "job id={Id} state=Receiving submitter={Submitter}")]
    public static partial void JobReceiving(this ILogger log, string id, string submitter);

    [LoggerMessage(EventId = 1329, Level = LogLevel.Information, Message = "job id={Id} state=Queued kernel={Kernel} memory_mib={Mem} deadline_s={Deadline}")]
    public static partial void JobQueued(this ILogger log, string id, string kernel, int mem, double deadline);

    [LoggerMessage(EventId = 1330, Level = LogLevel.Information, Message = "job id={Id} state=Delivered")]
    public static partial void JobDelivered(this ILogger log, string id);

    [LoggerMessage(EventId = 1332, Level = LogLevel.Warning, Message = "job id={Id} state=Failed failure=\"{Failure}\"")]
    public static partial void JobExpired(this ILogger log, string id, string? failure);

    [LoggerMessage(EventId = 1331, Level = LogLevel.Information, Message = "job id={Id} state={State}{Failure}")]
    public static partial void JobTransition(this ILogger log, string id, JobState state, string failure);
}
