using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SwitchGate.Controller;
using SwitchGate.Ethernet;
using SwitchGate.Gate;
using SwitchGate.Gate.Hosting;
using SwitchGate.Gate.Policy;
using SwitchGate.Operations.Configuration;
using SwitchGate.Topology;
using SwitchGate.Operations;
using SwitchGate.Operations.Api;
using SwitchGate.Operations.Store;

namespace SwitchGate.Cli;

/// <summary>
/// `switchgate controller run`: the OpenFlow controller daemon on the Generic Host.
/// Output contract (scripts and integration tests rely on it; one log record per line on stdout):
/// "listening on ADDRESS:PORT" once bound (with the real port for --port 0),
/// "switch 0x%016x ready" when a switch's cold start is confirmed, and
/// "session closed ... : REASON" for every session that ends. SIGTERM/SIGINT stop it gracefully, exit code 0.
/// </summary>
internal static class ControllerCommands
{
    public static Command Create()
    {
        var command = new Command("controller", "Run the SwitchGate controller");
        command.Subcommands.Add(CreateRun());
        command.Subcommands.Add(CreateStore());
        command.Subcommands.Add(CreateToken());
        return command;
    }

    /// <summary>A flag and the configuration key it overrides (docs/operations.md "Configuration").</summary>
    private sealed record Flag(Option<string> Option, string Key);

    private static Flag F(string name, string key, string? description = null) =>
        new(new Option<string>(name) { Description = description ?? ControllerConfig.Keys.Single(k => k.Name == key).Description + $" (config {key})" }, key);

    private static Command CreateRun()
    {
        var config = new Option<string?>("--config") { Description = "Configuration file (JSON; see config/controller.example.json); flags override its keys" };
        Flag[] flags =
        [
            F("--listen", "openflow.listen"), F("--port", "openflow.port"), F("--echo-interval", "openflow.echo_interval"),
            F("--echo-timeout", "openflow.echo_timeout"), F("--hello-timeout", "openflow.hello_timeout"), F("--max-macs", "openflow.max_macs"),
            F("--mac-idle-timeout", "openflow.mac_idle_timeout"), F("--log-level", "log.level"), F("--log-format", "log.format"),
            F("--tls-cert", "openflow.tls_cert"), F("--tls-key", "openflow.tls_key"), F("--tls-switch-ca", "openflow.tls_switch_ca"),
            F("--tls-switch-bindings", "openflow.tls_switch_bindings"),
            // The attestation gate (docs/gate.md) is on when --enrolments is given; without it table 0 stays open.
            F("--enrolments", "gate.enrolments"), F("--audit-log", "gate.audit_log"),
            // Both keep every entry written before its VERDICT goes out, so a killed controller loses none; "entry"
            // also survives a power loss at the cost of one fsync per verdict (docs/BENCHMARKS.md).
            F("--audit-sync", "gate.audit_sync"), F("--lease", "gate.lease"), F("--nonce-lifetime", "gate.nonce_lifetime"),
            F("--meter-rate", "gate.meter_rate"), F("--meter-burst", "gate.meter_burst"), F("--enrolment-poll", "gate.enrolment_poll"),
            F("--topology", "gate.topology"), F("--audit-denial-window", "gate.audit_denial_window"), F("--ek-ca", "gate.ek_ca"),

            F("--database", "store.database"), F("--api-listen", "api.listen"), F("--api-port", "api.port"),
        ];
        var plaintext = new Option<bool>("--plaintext") { Description = "Accept switches over plaintext TCP instead of TLS (unauthenticated, datapath ids unbound; logged as a warning) (config openflow.plaintext)" };
        var run = new Command("run", "Listen for OpenFlow 1.3 switches and run the pipeline until SIGTERM/SIGINT") { config, plaintext };
        foreach (var flag in flags)
            run.Options.Add(flag.Option);
        run.SetAction(async (parse, cancel) =>
        {
            var file = parse.GetValue(config) is { } path ? ControllerConfig.FromFile(path) : ControllerConfig.Empty();
            foreach (var flag in flags)
                if (parse.GetValue(flag.Option) is { } value)
                    file.Override(flag.Key, value);
            if (parse.GetValue(plaintext))
                file.Override("openflow.plaintext", "true");
            if (file.Build(out var problems) is not { } settings)
                return Fail(string.Join("; ", problems));
            if (settings.Gate is { } withRoles && settings.TopologyFile is { } topologyFile)
            {
                try
                {
                    withRoles.PortRoles = PortRoles(TopologyLoader.LoadFile(topologyFile));
                }
                catch (Exception ex) when (ex is TopologyFileException or IOException or UnauthorizedAccessException)
                {
                    return Fail($"gate.topology: {ex.Message}");
                }
                if (PortRole.Validate(withRoles.PortRoles) is { Count: > 0 } roleProblems)
                    return Fail("gate.topology: " + string.Join("; ", roleProblems));
            }
            // Last, so that a refused setting creates no audit log file.
            if (settings.Gate is { } gateOptions && CannotAppend(gateOptions.AuditLogPath) is { } auditProblem)
                return Fail(auditProblem);
            return await RunAsync(settings, cancel);
        });
        return run;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000:Dispose objects before losing scope",
        Justification = "the store belongs to the host once registered (StoreLifetime closes it on stop); every early return before that closes it")]
    private static async Task<int> RunAsync(ControllerSettings settings, CancellationToken cancel)
    {
        var options = settings.Controller;
        var gate = settings.Gate;
        // The gate writes (and fsyncs) its audit log inside its packet-in callback: on an epoll thread
        // that would stall every switch served by it, so inline completions only without the gate.
        if (gate is null)
            UseInlineSocketCompletions();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(settings.LogLevel);
        // The API server's own framework chatter (per-request lines, "Now listening on") stays out of the log.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        if (settings.LogFormat == "json")
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        // Under systemd (Type=notify): READY=1 once the host started, STOPPING=1 on SIGTERM; elsewhere a no-op.
        builder.Services.AddSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        OperationsStore? store = null;
        if (settings.Store is { } storeOptions)
        {
            try
            {
                store = OperationsStore.Open(storeOptions.DatabasePath, storeOptions.GroupCommitWindow);
            }
            catch (StoreException ex)
            {
                return Fail(ex.Message);
            }
        }
        // Before the controller: hosted services stop in reverse order, so the store closes after the gate and the sessions.
        builder.Services.AddSwitchGateOperations(settings, store);
        builder.Services.AddSwitchGateController(options);
        if (gate is not null)
        {
            try
            {
                builder.Services.AddSwitchGateAttestation(gate);
            }
            catch (ArgumentException ex)
            {
                if (store is not null)
                    await store.DisposeAsync();
                return Fail(ex.Message);
            }
        }
        var host = builder.Build();
        // Disposed asynchronously (the host implements it; IHost does not say so): the gate then drains its batches in
        // flight before its audit log closes (GateService.DisposeAsync).
        await using var hostDisposal = (IAsyncDisposable)host;
        try
        {
            host.Services.GetRequiredService<OpenFlowListener>().Start();
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            if (store is not null)
                await store.DisposeAsync();
            return Fail($"openflow.port: cannot listen on {options.ListenAddress}:{options.Port}: {ex.Message}");
        }
        try
        {
            await host.StartAsync(cancel);
        }
        catch (IOException ex) when (settings.Api is { } api)
        {
            // Kestrel reports a busy API port as an IOException wrapping the socket error.
            await host.StopAsync(CancellationToken.None);
            return Fail($"api.port: cannot listen on {api.ListenAddress}:{api.Port}: {ex.Message}");
        }
        await host.WaitForShutdownAsync(cancel);
        return 0;
    }

    /// <summary>The gate's port roles from a topology: every boot server's and production host's port, MAC and address.</summary>
    internal static IReadOnlyList<PortRole> PortRoles(TopologySpec spec) =>
        spec.Hosts.Where(h => h.Role != HostRole.Host).Select(h =>
        {
            var link = spec.LinkOf(h.Name);
            return new PortRole(h.Name, h.Role == HostRole.BootServer ? PortRoleKind.BootServer : PortRoleKind.ProductionHost,
                spec.Switch(link.Switch).DatapathId, (uint)link.Port, h.CleanMac ?? h.Mac, h.Address);
        }).ToList();

    private static Command CreateStore()
    {
        var database = new Option<string>("--database") { Description = "SQLite file to create (store.database)", Required = true };
        var init = new Command("init", "Create the durable store (refuses an existing file)") { database };
        init.SetAction(parse =>
        {
            var path = parse.GetValue(database)!;
            try
            {
                OperationsStore.Create(path);
            }
            catch (StoreException ex)
            {
                return Fail(ex.Message);
            }
            Console.WriteLine($"created store {Path.GetFullPath(path)} (schema {OperationsStore.SchemaVersion})");
            return 0;
        });
        var store = new Command("store", "The controller's durable store of verdicts, audit trail and events");
        store.Subcommands.Add(init);
        return store;
    }

    private static Command CreateToken()
    {
        var name = new Option<string>("--name") { Description = "Who uses the token (shown in the audit trail)", Required = true };
        var role = new Option<string>("--role") { Description = "read or admin", DefaultValueFactory = _ => "read" };
        role.AcceptOnlyFromAmong("read", "admin");
        var command = new Command("token", "Make an API bearer token: prints the token once and the api.tokens entry (its SHA-256) for the configuration") { name, role };
        command.SetAction(parse =>
        {
            var (token, digest) = ApiTokens.Generate();
            Console.WriteLine($"token: {token}");
            Console.WriteLine($"config: {{\"name\": \"{parse.GetValue(name)}\", \"role\": \"{parse.GetValue(role)}\", \"sha256\": \"{digest}\"}}");
            return 0;
        });
        return command;
    }

    /// <summary>Opens the audit log for appending once, so a bad path is one clear line before anything listens.</summary>
    private static string? CannotAppend(string path)
    {
        try
        {
            using var _ = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"gate.audit_log: cannot append to '{path}': {ex.Message}";
        }
    }

    /// <summary>
    /// Socket completions run on the epoll threads instead of hopping to the thread pool: the session
    /// reader then decodes, runs the (pure, microsecond) apps and writes the answers on the thread that
    /// saw the data. The benchmark (docs/BENCHMARKS.md, finding 1) measured context switches as
    /// the main cost on 2 cores and 1.3–1.7× the throughput with this on. The runtime reads the variable
    /// once, when the first socket does async I/O — nothing has yet at this point. An explicit setting
    /// in the environment (e.g. =0) wins.
    /// </summary>
    private static void UseInlineSocketCompletions()
    {
        const string Name = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(Name) is null)
            Environment.SetEnvironmentVariable(Name, "1");
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"switchgate controller: {message}");
        return 2;
    }
}
