using System.Collections.Concurrent;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Sessions;

/// <summary>
/// The connected switches by datapath id. A new connection announcing a datapath id that is
/// already connected replaces the old session (the old one is closed): the switch restarted or
/// reconnected before we noticed the old TCP connection was dead.
/// </summary>
public sealed class SwitchRegistry
{
    private readonly ConcurrentDictionary<ulong, SwitchSession> _sessions = new();

    /// <summary>Raised (on a pool thread) when a switch's cold start is confirmed.</summary>
    public event Action<SwitchSession>? SwitchReady;

    /// <summary>Raised (on the session's reader) for every PORT_STATUS after the port table was updated.</summary>
    public event Action<SwitchSession, PortStatus>? PortStatusChanged;

    /// <summary>Raised when a registered session leaves the registry (closed or replaced).</summary>
    public event Action<SwitchSession>? SwitchClosed;

    /// <summary>
    /// Raised (on the session's reader) when a switch is refused for the datapath id it announced (its certificate is
    /// not bound to it); the session is closed and was never registered.
    /// </summary>
    public event Action<SwitchRefusal>? SwitchRefused;

    public int Count => _sessions.Count;

    public IReadOnlyCollection<SwitchSession> Sessions => [.. _sessions.Values];

    public bool TryGet(ulong datapathId, out SwitchSession session) => _sessions.TryGetValue(datapathId, out session!);

    internal void Register(SwitchSession session)
    {
        SwitchSession? replaced = null;
        _sessions.AddOrUpdate(session.DatapathId, session, (_, previous) =>
        {
            replaced = previous;
            return session;
        });
        if (replaced is not null && !ReferenceEquals(replaced, session))
        {
            replaced.Close($"replaced by a new connection from {session.Remote} with the same datapath id");
            SwitchClosed?.Invoke(replaced);
        }
    }

    internal void Unregister(SwitchSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<ulong, SwitchSession>(session.DatapathId, session)))
            SwitchClosed?.Invoke(session);
    }

    internal void OnRefused(SwitchRefusal refusal) => SwitchRefused?.Invoke(refusal);

    internal void OnReady(SwitchSession session) => SwitchReady?.Invoke(session);

    internal void OnPortStatus(SwitchSession session, PortStatus status) => PortStatusChanged?.Invoke(session, status);
}

/// <summary>A switch refused after FEATURES_REPLY: the datapath id it claimed, its address, its certificate and why.</summary>
public sealed record SwitchRefusal(ulong DatapathId, string Remote, string CertificateSubject, string CertificatePin, string Reason)
{
    public string DatapathIdText => SwitchSession.FormatDpid(DatapathId);
}
