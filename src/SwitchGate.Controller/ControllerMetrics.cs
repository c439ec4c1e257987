using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SwitchGate.Controller;

/// <summary>
/// The controller's instruments (System.Diagnostics.Metrics), for whoever listens: the operations layer
/// exports them as Prometheus text (docs/operations.md "Metrics"). With no listener an Add costs a few
/// nanoseconds, so the session's hot path can count every PACKET_IN and FLOW_MOD.
/// </summary>
public static class ControllerMetrics
{
    public const string MeterName = "SwitchGate.Controller";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>PACKET_INs received from switches (every one, including those ignored before the cold start).</summary>
    public static readonly Counter<long> PacketIns = Meter.CreateCounter<long>("switchgate_packet_ins", description: "PACKET_IN messages received");

    /// <summary>FLOW_MODs encoded onto a switch connection.</summary>
    public static readonly Counter<long> FlowMods = Meter.CreateCounter<long>("switchgate_flow_mods", description: "FLOW_MOD messages sent");

    /// <summary>Switch sessions closed because the switch's certificate is not bound to the datapath id it announced.</summary>
    public static readonly Counter<long> SwitchIdentityRefusals = Meter.CreateCounter<long>("switchgate_switch_identity_refusals",
        description: "Switches refused because their certificate is not bound to the datapath id they announced");

    /// <summary>From queueing a batch to its BARRIER_REPLY (successful batches), seconds.</summary>
    public static readonly Histogram<double> BarrierRoundTrip = Meter.CreateHistogram<double>("switchgate_barrier_rtt_seconds", "s",
        "Batch queued to BARRIER_REPLY");

    internal static void RecordBarrier(long startTimestamp) =>
        BarrierRoundTrip.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds);
}
