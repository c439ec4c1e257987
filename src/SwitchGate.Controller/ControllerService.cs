using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller.Forwarding;
using SwitchGate.Controller.Pipeline;
using SwitchGate.Controller.Sessions;

namespace SwitchGate.Controller;

/// <summary>Runs the <see cref="OpenFlowListener"/> inside the Generic Host.</summary>
public sealed class ControllerService(OpenFlowListener listener, ILogger<ControllerService> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // The CLI may have started it already, to report a busy port as one line instead of a host failure.
        var endpoint = listener.LocalEndPoint ?? listener.Start();
        // Contract with scripts and integration tests: this line says where switches must connect.
        log.Listening(endpoint);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await listener.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        log.Stopped();
    }
}

public static class ControllerServiceCollectionExtensions
{
    /// <summary>
    /// The controller with the default pipeline: tables 1–2 L2 learning, plus every
    /// <see cref="ISwitchAppFactory"/> registered in <paramref name="services"/>. Apps run in the order of
    /// the lowest table they own. If no registered app owns table 0, <see cref="OpenGateFactory"/>
    /// (everything → table 1) takes it: registering the attestation gate's factory replaces it.
    /// </summary>
    public static IServiceCollection AddSwitchGateController(this IServiceCollection services, ControllerOptions options)
    {
        options.EnsureValid();
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SwitchRegistry>();
        services.AddSingleton(sp => new L2LearningOptions
        {
            MaxMacsPerSwitch = options.MaxMacsPerSwitch,
            IdleTimeoutSeconds = options.MacIdleTimeoutSeconds,
            FloodThroughGroups = sp.GetService<GateLayout>() is not null,
            FirstTable = sp.GetService<GateLayout>()?.FirstForwardingTable ?? L2Learning.EthSrcTable,
        });
        services.AddSingleton<ISwitchAppFactory, L2LearningFactory>();
        services.AddSingleton(sp =>
        {
            var apps = sp.GetServices<ISwitchAppFactory>().ToList();
            if (!apps.Any(a => a.Tables.Contains(OpenGateFactory.GateTable)))
                apps.Add(new OpenGateFactory());
            return new SwitchPipeline(apps.OrderBy(a => a.Tables.DefaultIfEmpty(byte.MaxValue).Min()));
        });
        services.AddSingleton<OpenFlowListener>();
        services.AddHostedService<ControllerService>();
        return services;
    }
}
