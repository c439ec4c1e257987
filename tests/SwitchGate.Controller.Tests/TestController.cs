using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;

namespace SwitchGate.Controller.Tests;

/// <summary>A real listener on 127.0.0.1:ephemeral with the production pipeline, and its log lines.</summary>
internal sealed class TestController : IAsyncDisposable
{
    private TestController(OpenFlowListener listener, SwitchRegistry registry, LogCollector logs, IPEndPoint endPoint)
    {
        Listener = listener;
        Registry = registry;
        Logs = logs;
        EndPoint = endPoint;
    }

    public OpenFlowListener Listener { get; }
    public SwitchRegistry Registry { get; }
    public LogCollector Logs { get; }
    public IPEndPoint EndPoint { get; }

    public static TestController Start(Action<ControllerOptions>? configure = null, IEnumerable<ISwitchAppFactory>? apps = null)
    {
        var options = new ControllerOptions { ListenAddress = IPAddress.Loopback, Port = 0 };
        configure?.Invoke(options);
        var logs = new LogCollector();
        var registry = new SwitchRegistry();
        var pipeline = new SwitchPipeline(apps ?? [new OpenGateFactory(), new L2LearningFactory(new L2LearningOptions())]);
        var listener = new OpenFlowListener(options, pipeline, registry, TimeProvider.System, logs.Factory);
        var endPoint = listener.Start();
        return new TestController(listener, registry, logs, endPoint);
    }

    /// <summary>Waits for the switch's cold start to be confirmed, woken by the registry's event (no polling).</summary>
    public async Task<SwitchSession> WaitForReadyAsync(ulong dpid, TimeSpan? timeout = null)
    {
        var ready = new TaskCompletionSource<SwitchSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnReady(SwitchSession s)
        {
            if (s.DatapathId == dpid)
                ready.TrySetResult(s);
        }
        Registry.SwitchReady += OnReady;
        try
        {
            if (Registry.TryGet(dpid, out var session) && session.State == SessionState.Ready)
                return session;
            return await ready.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"switch {dpid:x} did not become ready; log: {Logs}");
        }
        finally
        {
            Registry.SwitchReady -= OnReady;
        }
    }

    public ValueTask DisposeAsync() => Listener.DisposeAsync();
}

internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(what ?? "condition not met in time");
            await Task.Delay(10);
        }
    }
}

/// <summary>Collects formatted log lines in memory.</summary>
internal sealed class LogCollector : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public LogCollector() => Factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(this));

    public ILoggerFactory Factory { get; }

    public IReadOnlyList<string> Lines => [.. _lines];

    public bool Contains(string text) => _lines.Any(l => l.Contains(text, StringComparison.Ordinal));

    public Task WaitForAsync(string text, TimeSpan? timeout = null) =>
        Eventually.TrueAsync(() => Contains(text), timeout, $"no log line containing '{text}'; log: {this}");

    public override string ToString() => string.Join(" | ", _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCollector owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}
