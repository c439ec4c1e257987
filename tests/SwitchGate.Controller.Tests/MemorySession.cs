using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;
using SwitchGate.TestSupport;

namespace SwitchGate.Controller.Tests;

/// <summary>
/// One <see cref="SwitchSession"/> with the production pipeline, over an in-memory connection to a fake switch and
/// on a <see cref="ManualClock"/>: no socket, and time moves only when the test steps it.
/// </summary>
internal sealed class MemorySession : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    private MemorySession(ControllerOptions options)
    {
        Options = options;
        Tick = Keepalive.Tick(options);
    }

    public ControllerOptions Options { get; }
    public ManualClock Clock { get; } = new();
    public LogCollector Logs { get; } = new();
    public SwitchRegistry Registry { get; } = new();
    public SwitchSession Session { get; private set; } = null!;
    public FakeSwitch Switch { get; private set; } = null!;

    /// <summary>The keepalive loop's period: stepping the clock by it runs exactly one keepalive decision.</summary>
    public TimeSpan Tick { get; }

    public static async Task<MemorySession> StartAsync(ulong dpid, Action<ControllerOptions>? configure = null, Action<FakeSwitch>? configureSwitch = null)
    {
        var options = new ControllerOptions();
        configure?.Invoke(options);
        options.EnsureValid();
        var m = new MemorySession(options);
        var (near, far) = InMemoryConnection.Create();
        var pipeline = new SwitchPipeline([new OpenGateFactory(), new L2LearningFactory(new L2LearningOptions())]);
        m.Session = new SwitchSession(near, "memory", pipeline, m.Registry, options, m.Clock, m.Logs.Factory.CreateLogger<SwitchSession>());
        m._run = m.Session.RunAsync(m._stop.Token);
        m.Switch = await FakeSwitch.AttachAsync(far, dpid, configureSwitch);
        return m;
    }

    /// <summary>Moves the clock one keepalive tick and returns once that tick is handled (the loop re-armed, or the session closed).</summary>
    public async Task StepKeepaliveAsync() => await AdvanceKeepaliveAsync(Tick);

    /// <summary>Moves the clock by <paramref name="by"/> in one jump, as a stalled process sees it, firing the keepalive once.</summary>
    public async Task AdvanceKeepaliveAsync(TimeSpan by)
    {
        await Clock.WaitForTimerAsync(Tick);
        Clock.Advance(by);
        await Task.WhenAny(Clock.WaitForTimerAsync(Tick), Session.Closed);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await Switch.DisposeAsync();
        await _run;
    }
}
