using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SwitchGate.Controller;
using SwitchGate.Gate;
using SwitchGate.Gate.Hosting;

namespace SwitchGate.AttestLoad;

/// <summary>
/// `sg-attestload serve`: the controller with the gate, hosted exactly as `switchgate controller run --enrolments`
/// does (same service registrations) but with <see cref="GateOptions.AuditSyncEveryAppend"/> = false, which the
/// CLI does not expose. It is the peer that shows what the per-verdict fsync of the audit log costs.
/// </summary>
internal static class Serve
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? enrolments = null, audit = null;
        int port = 0, lease = 30;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--port": port = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--lease": lease = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--enrolments": enrolments = args[i + 1]; break;
                case "--audit-log": audit = args[i + 1]; break;
                default: throw new ArgumentException($"serve: unknown argument '{args[i]}'");
            }
        }
        if (enrolments is null || audit is null || port == 0)
            throw new ArgumentException("serve needs --port, --enrolments and --audit-log");
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Services.AddSwitchGateController(new ControllerOptions { ListenAddress = IPAddress.Loopback, Port = port });
        builder.Services.AddSwitchGateAttestation(new GateOptions
        {
            EnrolmentDirectory = enrolments,
            AuditLogPath = audit,
            Lease = TimeSpan.FromSeconds(lease),
            NonceLifetime = TimeSpan.FromSeconds(Math.Min(5, lease / 2.0)),
            AuditSyncEveryAppend = false,
        });
        using var host = builder.Build();
        host.Services.GetRequiredService<OpenFlowListener>().Start();
        await host.RunAsync();
        return 0;
    }
}
