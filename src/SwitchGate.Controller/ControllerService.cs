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
        var endpoint = listener.Start();
        // Contract with scripts and integration tests: this line says where switches must connect.
        log.LogInformation("listening on {Endpoint}", endpoint);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await listener.StopAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        log.LogInformation("stopped");
    }
}

public static class ControllerServiceCollectionExtensions
{
    /// <summary>
    /// The controller with the default pipeline: table 0 open gate (everything → table 1), tables 1–2
    /// L2 learning. The gate (issue 4) will replace <see cref="OpenGateFactory"/>.
    /// </summary>
    public static IServiceCollection AddSwitchGateController(this IServiceCollection services, ControllerOptions options)
    {
        options.EnsureValid();
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SwitchRegistry>();
        services.AddSingleton(new L2LearningOptions
        {
            MaxMacsPerSwitch = options.MaxMacsPerSwitch,
            IdleTimeoutSeconds = options.MacIdleTimeoutSeconds,
        });
        services.AddSingleton<ISwitchAppFactory, OpenGateFactory>();
        services.AddSingleton<ISwitchAppFactory, L2LearningFactory>();
        services.AddSingleton(sp => new SwitchPipeline(sp.GetServices<ISwitchAppFactory>()));
        services.AddSingleton<OpenFlowListener>();
        services.AddHostedService<ControllerService>();
        return services;
    }
}
