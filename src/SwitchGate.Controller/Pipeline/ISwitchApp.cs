using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Pipeline;

/// <summary>What an app may know about the switch it serves. Read it only from inside a callback.</summary>
public interface ISwitchView
{
    ulong DatapathId { get; }

    /// <summary>Current ports, keyed by port number (from PORT_DESC, kept current by PORT_STATUS).</summary>
    IReadOnlyDictionary<uint, PortDesc> Ports { get; }
}

/// <summary>
/// Creates the per-switch instance of an app. One instance per session: a reconnecting switch gets a
/// fresh one, so per-switch state never outlives the flows it describes (cold start deletes them).
/// State that must survive reconnects (e.g. the gate's admissions) lives in the factory.
/// </summary>
public interface ISwitchAppFactory
{
    string Name { get; }

    /// <summary>Tables the app owns: their packet-ins and flow-removed messages go to it, cold start fills them.</summary>
    IReadOnlyList<byte> Tables { get; }

    ISwitchApp Create(ISwitchView sw);
}

/// <summary>
/// Pure policy for one switch (Faucet's valve): inputs and <c>now</c> in, OpenFlow messages appended to
/// <c>output</c>. It never touches sockets; the session sends what it returns, in order, and calls it
/// from a single thread per switch. Messages whose failure matters must be sent through
/// <see cref="Sessions.SwitchSession.SendBatchAsync"/> by a service instead.
/// </summary>
public interface ISwitchApp
{
    /// <summary>After cold start deleted every flow, meter and group: the flows (meters, groups) of the app's tables.</summary>
    void ColdStart(DateTimeOffset now, List<OfpMessage> output);

    /// <summary>A PACKET_IN whose table_id is one of the app's tables.</summary>
    void PacketIn(PacketIn message, DateTimeOffset now, List<OfpMessage> output);

    /// <summary>A FLOW_REMOVED whose table_id is one of the app's tables.</summary>
    void FlowRemoved(FlowRemoved message, DateTimeOffset now, List<OfpMessage> output);

    /// <summary>Every PORT_STATUS (the session's port table is already updated).</summary>
    void PortStatus(PortStatus message, DateTimeOffset now, List<OfpMessage> output);
}

/// <summary>
/// Registered (as a singleton) by a table-0 app that owns more than table 0 and keeps the groups of
/// <see cref="Forwarding.FloodGroups"/> in every cold start (the attestation gate): forwarding then starts at
/// <paramref name="FirstForwardingTable"/> and floods through the groups.
/// </summary>
public sealed record GateLayout(string App, byte FirstForwardingTable);
