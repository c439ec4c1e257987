using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Sessions;
using SwitchGate.Gate;
using SwitchGate.Gate.Audit;
using SwitchGate.OpenFlow;
using SwitchGate.Operations.Api;
using SwitchGate.Operations.Configuration;
using SwitchGate.Operations.Events;
using SwitchGate.Operations.Metrics;
using SwitchGate.Operations.Store;

namespace SwitchGate.Operations;

public static class OperationsServiceCollectionExtensions
{
    /// <summary>
    /// The operator's side of the controller: the durable store as the gate's <see cref="IAuditSink"/> (if
    /// <paramref name="store"/> is given, already opened so that a bad database is refused before anything listens),
    /// the event stream, the metrics exporter and, with <see cref="ControllerSettings.Api"/>, the API server. Call it
    /// before <c>AddSwitchGateController</c>: hosted services stop in reverse order, so the store closes last.
    /// </summary>
    public static IServiceCollection AddSwitchGateOperations(this IServiceCollection services, ControllerSettings settings, OperationsStore? store)
    {
        if (store is not null)
        {
            services.AddSingleton(store);
            services.AddSingleton<IAuditSink>(store);
            services.AddHostedService<StoreLifetime>();
        }
        services.AddSingleton(sp => new EventHub(settings.Api?.EventRingSize ?? 4096, store));
        services.AddHostedService<SwitchEventRecorder>();
        services.AddSingleton(sp =>
        {
            var registry = sp.GetRequiredService<SwitchRegistry>();
            var gate = sp.GetService<GateService>();
            return new PrometheusExporter(() => Gauges(registry, gate, store));
        });
        if (settings.Api is { } api)
        {
            services.AddSingleton(api);
            services.AddSingleton(sp => new ApiQueries(sp.GetRequiredService<SwitchRegistry>(), sp.GetService<GateService>(), store,
                sp.GetService<TimeProvider>() ?? TimeProvider.System));
            services.AddSingleton<ApiServer>();
            services.AddHostedService(sp => sp.GetRequiredService<ApiServer>());
        }
        return services;
    }

    private static IEnumerable<GaugeSample> Gauges(SwitchRegistry registry, GateService? gate, OperationsStore? store)
    {
        yield return new GaugeSample("switchgate_connected_switches", "Switches with an open OpenFlow session", registry.Count);
        if (gate is not null)
        {
            var status = gate.Status();
            yield return new GaugeSample("switchgate_admitted_nodes", "Nodes holding an admission", status.Admitted.Count());
            yield return new GaugeSample("switchgate_enrolled_nodes", "Nodes enrolled", status.Nodes.Count);
            yield return new GaugeSample("switchgate_gate_frames_total", "Attestation frames received by the gate", gate.Counters.Frames, Monotonic: true);
            yield return new GaugeSample("switchgate_gate_frames_dropped_total", "Attestation frames dropped without an answer", gate.Counters.TotalDropped, Monotonic: true);
        }
        if (store is not null)
        {
            var (commits, records) = store.WriterStats;
            yield return new GaugeSample("switchgate_store_commits_total", "Store transactions committed", commits, Monotonic: true);
            yield return new GaugeSample("switchgate_store_records_total", "Records committed to the store", records, Monotonic: true);
            yield return new GaugeSample("switchgate_event_sequence", "Sequence number of the newest event", store.LastSequence);
        }
    }
}

/// <summary>
/// Closes the store when the host stops (after everything that writes to it): the gate's batches still in flight
/// (they fail or confirm once the controller closed the sessions, and audit their outcome) and its steps waiting for
/// a commit are drained first, then queued records are committed.
/// </summary>
internal sealed class StoreLifetime(OperationsStore store, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (services.GetService<GateService>() is { } gate)
        {
            try
            {
                await gate.DrainAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout: close the store with what is committed.
            }
        }
        await store.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Switch connects, disconnects, identity refusals and port changes into the event stream (durable with a store, else memory only).</summary>
internal sealed class SwitchEventRecorder(SwitchRegistry registry, EventHub hub, IServiceProvider services, ILogger<SwitchEventRecorder> log) : IHostedService
{
    private readonly OperationsStore? _store = services.GetService<OperationsStore>();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        registry.SwitchReady += OnReady;
        registry.SwitchClosed += OnClosed;
        registry.SwitchRefused += OnRefused;
        registry.PortStatusChanged += OnPort;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        registry.SwitchReady -= OnReady;
        registry.SwitchClosed -= OnClosed;
        registry.SwitchRefused -= OnRefused;
        registry.PortStatusChanged -= OnPort;
        return Task.CompletedTask;
    }

    private void OnReady(SwitchSession s) => Record("switch_connected", new
    {
        datapath_id = s.DatapathIdText, remote = s.Remote, ports = s.PortsSnapshot().Where(p => p.PortNo < OfpPort.Max).Select(p => new { port = p.PortNo, name = p.Name }),
    });

    private void OnClosed(SwitchSession s) => Record("switch_disconnected", new { datapath_id = s.DatapathIdText, remote = s.Remote, reason = s.CloseReason });

    /// <summary>A switch whose certificate is not bound to the datapath id it claimed: an impersonation attempt or a missing binding.</summary>
    private void OnRefused(SwitchRefusal r) => Record("switch_refused", new
    {
        datapath_id = r.DatapathIdText, remote = r.Remote, certificate_subject = r.CertificateSubject, certificate_spki_sha256 = r.CertificatePin, reason = r.Reason,
    });

    private void OnPort(SwitchSession s, PortStatus status) => Record("port_changed", new
    {
        datapath_id = s.DatapathIdText, port = status.Desc.PortNo, name = status.Desc.Name, reason = status.Reason.ToString().ToLowerInvariant(),
        link_down = status.Desc.State.HasFlag(PortState.LinkDown), port_down = status.Desc.Config.HasFlag(PortConfig.PortDown),
    });

    /// <summary>Queued, not awaited: this runs on a session's reader, which must not wait for a commit.</summary>
    private void Record(string type, object data)
    {
        var now = DateTimeOffset.UtcNow;
        var body = JsonSerializer.Serialize(new Dictionary<string, object?> { ["time"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'"), ["event"] = type, ["data"] = data });
        if (_store is null)
        {
            hub.PublishUnstored(now, type, body);
            return;
        }
        var pending = _store.AppendAsync(new SwitchEvent(now, type, body));
        if (!pending.IsCompleted)
            _ = Observe(pending.AsTask());
    }

    private async Task Observe(Task pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            log.SwitchEventNotRecorded(e.Message);
        }
    }
}
