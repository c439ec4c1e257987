using SwitchGate.Controller.Sessions;
using SwitchGate.OpenFlow;

namespace SwitchGate.Controller.Tests;

/// <summary>The echo keepalive's rules (pure), then a session on a manual clock over an in-memory connection.</summary>
public sealed class KeepaliveTests
{
    private static readonly ControllerOptions Options = new() { EchoInterval = TimeSpan.FromSeconds(1), EchoTimeout = TimeSpan.FromSeconds(3) };
    private static readonly TimeSpan Window = Keepalive.AnswerWindow(Options); // 2 s

    private static KeepaliveDecision Ready(double silent, double? echoUnanswered = null) =>
        Keepalive.Decide(SessionState.Ready, new KeepaliveTimes(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1),
            TimeSpan.FromSeconds(silent), echoUnanswered is { } e ? TimeSpan.FromSeconds(e) : null), Options);

    [Fact]
    public void Normal_rhythm_echo_after_the_interval_dead_at_the_timeout()
    {
        Assert.Equal(KeepaliveAction.Wait, Ready(0.9).Action);
        Assert.Equal(KeepaliveAction.SendEcho, Ready(1.0).Action);
        Assert.Equal(KeepaliveAction.Wait, Ready(2.5, echoUnanswered: 1.5).Action); // asked, still inside the timeout
        Assert.Equal(KeepaliveAction.Wait, Ready(3.0, echoUnanswered: 2.0).Action); // "longer than" the timeout
        var dead = Ready(3.1, echoUnanswered: 2.1);
        Assert.Equal(KeepaliveAction.Close, dead.Action);
        Assert.StartsWith("dead peer: nothing received for 3.1s, ECHO_REQUEST unanswered for 2.1s", dead.Reason);
    }

    [Fact]
    public void A_controller_that_stalled_past_the_timeout_asks_before_it_calls_the_switch_dead()
    {
        // The regression: the keepalive woke from a 5 s stall (its own, e.g. a starved thread pool) with the last
        // echo answered before the stall. It used to close the switch at once, never having asked it anything.
        Assert.Equal(KeepaliveAction.SendEcho, Ready(5).Action);
        // The echo then gets the whole answer window, however long the silence already is.
        Assert.Equal(KeepaliveAction.Wait, Ready(5.1, echoUnanswered: 0.1).Action);
        Assert.Equal(KeepaliveAction.Wait, Ready(6.9, echoUnanswered: 1.9).Action);
        Assert.Equal(KeepaliveAction.Close, Ready(7, echoUnanswered: Window.TotalSeconds).Action);
    }

    [Fact]
    public void Hello_and_handshake_timeouts()
    {
        var o = new ControllerOptions { HelloTimeout = TimeSpan.FromSeconds(2), HandshakeTimeout = TimeSpan.FromSeconds(4) };
        KeepaliveDecision At(SessionState state, double sinceConnected, double sinceHello, double silent) => Keepalive.Decide(state,
            new KeepaliveTimes(TimeSpan.FromSeconds(sinceConnected), TimeSpan.FromSeconds(sinceHello), TimeSpan.FromSeconds(silent), null), o);

        Assert.Equal(KeepaliveAction.Wait, At(SessionState.AwaitingHello, 2, 0, 2).Action);
        Assert.Equal("no HELLO within 2s", At(SessionState.AwaitingHello, 2.1, 0, 2.1).Reason);
        Assert.Equal(KeepaliveAction.Wait, At(SessionState.AwaitingFeatures, 5, 4, 0).Action);
        Assert.Equal("handshake (features, port description) not completed within 4s", At(SessionState.AwaitingPortDesc, 6, 4.5, 0).Reason);
        Assert.Equal(KeepaliveAction.Wait, At(SessionState.Closed, 100, 100, 100).Action);
        // Past the handshake, only the echo rules apply.
        Assert.Equal(KeepaliveAction.SendEcho, At(SessionState.ColdStarting, 60, 50, 6).Action);
    }

    [Fact]
    public void Tick_is_a_quarter_of_the_shortest_rule_within_bounds()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(250), Keepalive.Tick(Options));
        Assert.Equal(TimeSpan.FromMilliseconds(10), Keepalive.Tick(new ControllerOptions { EchoInterval = TimeSpan.FromMilliseconds(1), EchoTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Equal(TimeSpan.FromSeconds(1), Keepalive.Tick(new ControllerOptions { EchoInterval = TimeSpan.FromMinutes(1), EchoTimeout = TimeSpan.FromMinutes(2), HelloTimeout = TimeSpan.FromMinutes(1), HandshakeTimeout = TimeSpan.FromMinutes(1) }));
    }

    private static void Configure(ControllerOptions o)
    {
        o.EchoInterval = Options.EchoInterval;
        o.EchoTimeout = Options.EchoTimeout;
    }

    [Fact]
    public async Task A_live_switch_survives_a_controller_stall_longer_than_the_echo_timeout_and_keeps_answering()
    {
        await using var m = await MemorySession.StartAsync(0x61, Configure);
        Assert.True(await m.Session.Ready.WaitAsync(TimeSpan.FromSeconds(10)));

        await m.AdvanceKeepaliveAsync(Options.EchoTimeout * 5);

        Assert.Equal(SessionState.Ready, m.Session.State);
        var echo = await m.Switch.WaitForAsync<EchoRequest>();
        Assert.NotEqual(0u, echo.Xid);
        for (int round = 1; round <= 5; round++)
        {
            // A tracked round trip after the echo: once it is answered, so is the echo (one ordered connection).
            await m.Session.RequestAsync(new EchoRequest([(byte)round])).WaitAsync(TimeSpan.FromSeconds(10));
            int asked = m.Switch.Received.Count(x => x is EchoRequest);
            for (var silent = TimeSpan.Zero; silent < Options.EchoInterval; silent += m.Tick)
                await m.StepKeepaliveAsync();
            await m.Switch.WaitForAsync<EchoRequest>(e => e.Data.Length == 0, skip: m.Switch.Received.Count - 1);
            Assert.Equal(asked + 1, m.Switch.Received.Count(x => x is EchoRequest));
            Assert.Equal(SessionState.Ready, m.Session.State);
        }
        Assert.False(m.Logs.Contains("unsolicited"), m.Logs.ToString());
    }

    [Fact]
    public async Task A_silent_switch_is_closed_one_answer_window_after_its_echo_and_not_before()
    {
        await using var m = await MemorySession.StartAsync(0x62, Configure, s => s.AnswerEcho = false);
        Assert.True(await m.Session.Ready.WaitAsync(TimeSpan.FromSeconds(10)));

        // Stalled past the timeout first: the switch is asked, not condemned.
        await m.AdvanceKeepaliveAsync(Options.EchoTimeout * 2);
        Assert.Equal(SessionState.Ready, m.Session.State);
        await m.Switch.WaitForAsync<EchoRequest>();
        var asked = m.Clock.GetUtcNow();

        while (m.Session.State != SessionState.Closed)
        {
            Assert.True(m.Clock.GetUtcNow() - asked < Window + m.Tick, "still open a tick after the answer window");
            await m.StepKeepaliveAsync();
        }
        Assert.True(m.Clock.GetUtcNow() - asked >= Window, $"closed {m.Clock.GetUtcNow() - asked} after the echo, before the answer window");
        Assert.StartsWith("dead peer", await m.Session.Closed);
        await m.Switch.ClosedByPeer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(m.Switch.Received, x => x is EchoRequest); // one question, not one per tick
    }
}
