using Microsoft.Extensions.Logging;

namespace SwitchGate.Operations;

/// <summary>
/// The operations side's log events (event ids 1200-1299), source-generated with <see cref="LoggerMessageAttribute"/>.
/// The store's writer logs from its group-commit loop, so a failing disk must not also cost formatting and boxing.
/// </summary>
internal static partial class OperationsLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "store {Path}: migrating schema {From} -> {To}")]
    public static partial void StoreMigrating(this ILogger log, string path, int from, int to);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "store commit of {Count} records failed: {Problem}")]
    public static partial void StoreCommitFailed(this ILogger log, int count, string problem);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "store subscriber failed")]
    public static partial void StoreSubscriberFailed(this ILogger log, Exception exception);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "api listening on {Address}")]
    public static partial void ApiListening(this ILogger log, string address);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Warning, Message = "switch event not recorded: {Problem}")]
    public static partial void SwitchEventNotRecorded(this ILogger log, string problem);
}
