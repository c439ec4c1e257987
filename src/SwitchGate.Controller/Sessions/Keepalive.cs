namespace SwitchGate.Controller.Sessions;

/// <summary>What the keepalive loop does at one tick.</summary>
internal enum KeepaliveAction
{
    /// <summary>Nothing is due.</summary>
    Wait,
    /// <summary>The switch has been silent for the echo interval and no ECHO_REQUEST is waiting for an answer: send one.</summary>
    SendEcho,
    /// <summary>A timeout expired; <see cref="KeepaliveDecision.Reason"/> says which.</summary>
    Close,
}

internal readonly record struct KeepaliveDecision(KeepaliveAction Action, string? Reason = null)
{
    public static readonly KeepaliveDecision Wait = new(KeepaliveAction.Wait);
    public static readonly KeepaliveDecision SendEcho = new(KeepaliveAction.SendEcho);
}

/// <summary>
/// Elapsed times the keepalive decides on, all measured at the same tick.
/// <paramref name="EchoUnanswered"/> is how long the ECHO_REQUEST sent after the last received message has been
/// waiting (null when none is: nothing sent since, or the switch has said something since).
/// </summary>
internal readonly record struct KeepaliveTimes(TimeSpan SinceConnected, TimeSpan SinceHello, TimeSpan Silent, TimeSpan? EchoUnanswered);

/// <summary>
/// The session's timing rules, pure (times in, decision out): the hello and handshake timeouts, and the echo
/// keepalive of OpenFlow 1.3.5 §6.3.2. A switch is declared dead only when it has been silent for the echo timeout
/// AND an ECHO_REQUEST has been waiting for its answer for the answer window (echo timeout − echo interval, what
/// an answer gets in the normal rhythm). Without the second condition a controller that was itself stalled (thread
/// pool starvation, a GC or VM pause) would wake up, see the switch "silent" for the whole stall — silence it could
/// not even have read — and close a live switch without having asked it anything: it then sends the echo and judges
/// the switch only on that echo's answer. Any message counts as an answer (it proves the peer alive).
/// </summary>
internal static class Keepalive
{
    public static KeepaliveDecision Decide(SessionState state, KeepaliveTimes times, ControllerOptions options)
    {
        switch (state)
        {
            case SessionState.Closed:
                return KeepaliveDecision.Wait;
            case SessionState.AwaitingHello:
                return times.SinceConnected > options.HelloTimeout
                    ? new(KeepaliveAction.Close, $"no HELLO within {options.HelloTimeout.TotalSeconds}s")
                    : KeepaliveDecision.Wait;
            case SessionState.AwaitingFeatures or SessionState.AwaitingPortDesc when times.SinceHello > options.HandshakeTimeout:
                return new(KeepaliveAction.Close, $"handshake (features, port description) not completed within {options.HandshakeTimeout.TotalSeconds}s");
        }
        if (times.EchoUnanswered is { } waiting)
        {
            return times.Silent > options.EchoTimeout && waiting >= AnswerWindow(options)
                ? new(KeepaliveAction.Close, $"dead peer: nothing received for {times.Silent.TotalSeconds:0.0}s, ECHO_REQUEST unanswered for {waiting.TotalSeconds:0.0}s (echo timeout {options.EchoTimeout.TotalSeconds}s)")
                : KeepaliveDecision.Wait;
        }
        return times.Silent >= options.EchoInterval ? KeepaliveDecision.SendEcho : KeepaliveDecision.Wait;
    }

    /// <summary>How long an ECHO_REQUEST's answer may take before the switch is dead (positive: options validate timeout &gt; interval).</summary>
    public static TimeSpan AnswerWindow(ControllerOptions options) => options.EchoTimeout - options.EchoInterval;

    /// <summary>How often the loop looks: a quarter of the shortest timing rule, between 10 ms and 1 s.</summary>
    public static TimeSpan Tick(ControllerOptions options)
    {
        var quarter = new[] { options.EchoInterval, options.HelloTimeout, options.HandshakeTimeout }.Min() / 4;
        return TimeSpan.FromTicks(Math.Clamp(quarter.Ticks, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromSeconds(1).Ticks));
    }
}
