namespace SwitchGate.Controller.Forwarding;

/// <summary>Settings of the L2 learning app (tables 1 and 2).</summary>
public sealed record L2LearningOptions
{
    /// <summary>Bound of the per-switch MAC table; the least recently (re)learned MAC is evicted when full.</summary>
    public int MaxMacsPerSwitch { get; init; } = 16_384;

    /// <summary>idle_timeout of learned flows, seconds (OpenFlow 1.3.5 §6.5: the switch removes an unused flow).</summary>
    public ushort IdleTimeoutSeconds { get; init; } = 300;

    /// <summary>
    /// A packet-in from a MAC already learned on the same port re-installs its flows only if they were
    /// installed longer ago than this; younger flows are assumed to be still in flight to the switch.
    /// </summary>
    public TimeSpan ReinstallAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Flood through the groups of <see cref="FloodGroups"/> instead of OFPP_FLOOD. Only when table 0's owner
    /// installs and maintains those groups (the attestation gate registers <see cref="Pipeline.GateLayout"/>).
    /// </summary>
    public bool FloodThroughGroups { get; init; }

    /// <summary>The eth_src table; the eth_dst table is the next one. 1 behind the open gate, 2 behind the attestation gate (its tables 0 and 1).</summary>
    public byte FirstTable { get; init; } = L2Learning.EthSrcTable;
}
