using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;
using SwitchGate.Gate.Policy;

namespace SwitchGate.Gate.Hosting;

public static class GateServiceCollectionExtensions
{
    /// <summary>
    /// Turns the attestation gate on: registers <see cref="GateService"/> and its table-0 app (which replaces
    /// the controller's open gate) and a background loop for the lease clock and enrolment polling. Call it
    /// together with <c>AddSwitchGateController</c> (either order). Invalid options throw <see cref="ArgumentException"/>.
    /// </summary>
    public static IServiceCollection AddSwitchGateAttestation(this IServiceCollection services, GateOptions options)
    {
        options.EnsureValid();
        services.AddSingleton(options);
        services.AddSingleton<IGateSwitches>(sp => new RegistrySwitches(sp.GetRequiredService<SwitchRegistry>(), TimeSpan.FromSeconds(10)));
        services.AddSingleton(sp => new GateService(options, sp.GetRequiredService<IGateSwitches>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System, sp.GetRequiredService<ILogger<GateService>>(),
            sp.GetService<Audit.IAuditSink>()));
        services.AddSingleton<ISwitchAppFactory>(sp => sp.GetRequiredService<GateService>().AppFactory);
        // The gate owns tables 0 and 1 and keeps the flood groups: forwarding starts at table 2 and floods through them.
        services.AddSingleton(new GateLayout("attestation-gate", GateFlows.ForwardingTable));
        services.AddHostedService<GateBackgroundService>();
        return services;
    }
}

/// <summary>Ticks the lease clock and polls the enrolment directory (if configured) while the host runs.</summary>
public sealed class GateBackgroundService(GateService gate, ILogger<GateBackgroundService> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = gate.Options;
        if (log.IsEnabled(LogLevel.Information))
            log.GateOn(gate.Status().Nodes.Count, gate.Enrolments.Directory, gate.AuditLog.Path, options.LeaseSeconds);
        var lastPoll = DateTime.UtcNow;
        using var timer = new PeriodicTimer(options.LeaseCheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                gate.Tick();
                if (options.EnrolmentPollInterval > TimeSpan.Zero && DateTime.UtcNow - lastPoll >= options.EnrolmentPollInterval)
                {
                    lastPoll = DateTime.UtcNow;
                    try
                    {
                        gate.ReloadIfChanged();
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        log.ReloadFailed(e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
