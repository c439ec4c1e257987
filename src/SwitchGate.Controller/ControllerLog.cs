using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Sessions;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller;

/// <summary>
/// The controller's log events (event ids 1000-1099), source-generated with <see cref="LoggerMessageAttribute"/>:
/// the template is parsed once at compile time, values are not boxed, and a disabled level costs one check.
/// Sessions log per switch event, so this is the controller's hot logging path (issue 7 item 5).
/// </summary>
internal static partial class ControllerLog
{
    [LoggerMessage(EventId = 1000, Message = "switch {Dpid} ({Remote}) session closed in state {State}: {Reason}")]
    public static partial void SessionClosed(this ILogger log, LogLevel level, string dpid, string remote, SessionState state, string reason);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
        Message = "switch {Dpid} does not read fast enough: send queue full, dropping answers (counted in AnswersDropped)")]
    public static partial void SendQueueFull(this ILogger log, string dpid);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Debug, Message = "switch {Dpid}: unsolicited {Type} xid {Xid}")]
    public static partial void Unsolicited(this ILogger log, string dpid, OfpType type, uint xid);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning,
        Message = "switch {Dpid}: experimenter ERROR xid {Xid} (experimenter 0x{Experimenter:x8}, type {ExpType})")]
    public static partial void ExperimenterError(this ILogger log, string dpid, uint xid, uint experimenter, ushort expType);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "switch {Dpid} connected from {Remote}: {Tables} tables, {Buffers} buffers")]
    public static partial void SwitchConnected(this ILogger log, string dpid, string remote, byte tables, uint buffers);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "switch {Dpid} ready: {Ports} ports, {Messages} cold-start messages confirmed")]
    public static partial void SwitchReady(this ILogger log, string dpid, int ports, int messages);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information,
        Message = "switch {Dpid} port {Port} ({Name}) {Reason}: config {Config}, state {PortState}")]
    public static partial void PortChanged(this ILogger log, string dpid, uint port, string name, PortStatusReason reason, PortConfig config,
        PortState portState);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "switch {Dpid}: ERROR for unconfirmed message xid {Xid}: {Error}")]
    public static partial void UnconfirmedError(this ILogger log, string dpid, uint xid, string error);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Error, Message = "switch {Dpid}: cannot encode {Type} xid {Xid}: {Problem}")]
    public static partial void CannotEncode(this ILogger log, string dpid, OfpType type, uint xid, string problem);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "listening on {Endpoint}")]
    public static partial void Listening(this ILogger log, System.Net.IPEndPoint endpoint);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "stopped")]
    public static partial void Stopped(this ILogger log);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning,
        Message = "OpenFlow channel is plaintext TCP: switches are not authenticated, datapath ids are not bound to anything and the channel is not encrypted (configure TLS, docs/controller.md)")]
    public static partial void Plaintext(this ILogger log);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning,
        Message = "switch certificates are not bound to datapath ids: any switch with a certificate of the CA may claim any datapath id (configure switch certificate bindings, docs/controller.md)")]
    public static partial void TlsUnbound(this ILogger log);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "accept failed: {Error}")]
    public static partial void AcceptFailed(this ILogger log, System.Net.Sockets.SocketError error);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "switch connection from {Remote} refused: TLS: {Reason}")]
    public static partial void TlsRefused(this ILogger log, string remote, string reason);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Information,
        Message = "TLS credentials reloaded: controller certificate '{Subject}' (expires {Expiry:u}), {Roots} switch CA certificate(s), {Bindings}")]
    public static partial void TlsReloaded(this ILogger log, string subject, DateTime expiry, int roots, string bindings);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Error, Message = "TLS credentials not reloaded, the previous ones stay in use: {Reason}")]
    public static partial void TlsReloadFailed(this ILogger log, string reason);
}
