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
    /// installs and maintains those groups (the attestation gate registers <see cref="Pipeline.GroupFloodingOwner"/>).
    /// </summary>
    public bool FloodThroughGroups { get; init; }
}
