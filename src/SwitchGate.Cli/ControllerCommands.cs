using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SwitchGate.Controller;
using SwitchGate.Gate;
using SwitchGate.Gate.Hosting;

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
        return command;
    }

    private static Command CreateRun()
    {
        var defaults = new ControllerOptions();
        var listen = new Option<string>("--listen") { Description = "Address to listen on", DefaultValueFactory = _ => defaults.ListenAddress.ToString() };
        var port = new Option<int>("--port") { Description = "TCP port (0: pick a free one and print it)", DefaultValueFactory = _ => defaults.Port };
        var echoInterval = new Option<double>("--echo-interval") { Description = "Seconds of switch silence before an ECHO_REQUEST", DefaultValueFactory = _ => defaults.EchoInterval.TotalSeconds };
        var echoTimeout = new Option<double>("--echo-timeout") { Description = "Seconds of switch silence before the session is closed as dead", DefaultValueFactory = _ => defaults.EchoTimeout.TotalSeconds };
        var helloTimeout = new Option<double>("--hello-timeout") { Description = "Seconds allowed for the switch's HELLO after connecting", DefaultValueFactory = _ => defaults.HelloTimeout.TotalSeconds };
        var maxMacs = new Option<int>("--max-macs") { Description = "Maximum MAC addresses learned per switch (oldest evicted)", DefaultValueFactory = _ => defaults.MaxMacsPerSwitch };
        var macIdle = new Option<int>("--mac-idle-timeout") { Description = "Idle timeout of learned forwarding flows, seconds (1-65535)", DefaultValueFactory = _ => defaults.MacIdleTimeoutSeconds };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Minimum log level", DefaultValueFactory = _ => LogLevel.Information };
        // The attestation gate (docs/gate.md) is on when --enrolments is given; without it table 0 stays open.
        var gateDefaults = new GateOptions();
        var enrolments = new Option<string?>("--enrolments") { Description = "Directory of <node>.json enrolment records: turns the attestation gate on" };
        var auditLog = new Option<string?>("--audit-log") { Description = "Append-only JSON-lines audit log of the gate (required with --enrolments)" };
        var lease = new Option<int>("--lease") { Description = "Admission lease, whole seconds", DefaultValueFactory = _ => gateDefaults.LeaseSeconds };
        var nonceLifetime = new Option<double?>("--nonce-lifetime") { Description = $"Seconds a CHALLENGE may be answered (default {gateDefaults.NonceLifetime.TotalSeconds:0.#}, at most half the lease)" };
        var meterRate = new Option<uint>("--meter-rate") { Description = "Attestation frames per second per port let through to the controller", DefaultValueFactory = _ => gateDefaults.MeterRatePps };
        var meterBurst = new Option<uint>("--meter-burst") { Description = "Burst of the per-port meter, packets", DefaultValueFactory = _ => gateDefaults.MeterBurstPackets };
        // Both keep every entry written before its VERDICT goes out, so a killed controller loses none; "entry"
        // also survives a power loss at the cost of one fsync (about 1 ms here) per verdict (docs/BENCHMARKS.md).
        var auditSync = new Option<string>("--audit-sync") { Description = "When the audit log is fsynced: 'entry' (before each verdict) or 'background'", DefaultValueFactory = _ => "entry" };
        auditSync.AcceptOnlyFromAmong("entry", "background");
        var enrolmentPoll = new Option<double>("--enrolment-poll") { Description = "Seconds between checks of the enrolment directory for changes (0: never)", DefaultValueFactory = _ => 0 };

        var run = new Command("run", "Listen for OpenFlow 1.3 switches and run the pipeline until SIGTERM/SIGINT")
        {
            listen, port, echoInterval, echoTimeout, helloTimeout, maxMacs, macIdle, logLevel,
            enrolments, auditLog, auditSync, lease, nonceLifetime, meterRate, meterBurst, enrolmentPoll,
        };
        run.SetAction(async (parse, cancel) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(listen), out var address))
                return Fail($"--listen: '{parse.GetValue(listen)}' is not an IP address");
            int idle = parse.GetValue(macIdle);
            if (idle is < 1 or > ushort.MaxValue)
                return Fail($"--mac-idle-timeout: {idle} is outside 1..65535 seconds");
            var options = new ControllerOptions
            {
                ListenAddress = address,
                Port = parse.GetValue(port),
                EchoInterval = Seconds(parse.GetValue(echoInterval)),
                EchoTimeout = Seconds(parse.GetValue(echoTimeout)),
                HelloTimeout = Seconds(parse.GetValue(helloTimeout)),
                MaxMacsPerSwitch = parse.GetValue(maxMacs),
                MacIdleTimeoutSeconds = (ushort)idle,
            };
            var problems = options.Validate();
            if (problems.Count > 0)
                return Fail(string.Join("; ", problems));
            GateOptions? gate = null;
            if (parse.GetValue(enrolments) is { } directory)
            {
                gate = new GateOptions
                {
                    EnrolmentDirectory = directory,
                    AuditLogPath = parse.GetValue(auditLog) ?? "",
                    Lease = TimeSpan.FromSeconds(parse.GetValue(lease)),
                    NonceLifetime = parse.GetValue(nonceLifetime) is { } nonce
                        ? Seconds(nonce)
                        : TimeSpan.FromSeconds(Math.Min(gateDefaults.NonceLifetime.TotalSeconds, parse.GetValue(lease) / 2.0)),
                    MeterRatePps = parse.GetValue(meterRate),
                    MeterBurstPackets = parse.GetValue(meterBurst),
                    EnrolmentPollInterval = Seconds(parse.GetValue(enrolmentPoll)),
                    AuditSyncEveryAppend = parse.GetValue(auditSync) == "entry",
                };
                var gateProblems = gate.Validate();
                if (!Directory.Exists(directory))
                    gateProblems = [.. gateProblems, $"enrolment directory '{directory}' does not exist"];
                // Last, so that a refused setting creates no audit log file.
                if (gateProblems.Count == 0 && CannotAppend(gate.AuditLogPath) is { } auditProblem)
                    gateProblems = [.. gateProblems, auditProblem];
                if (gateProblems.Count > 0)
                    return Fail(string.Join("; ", gateProblems));
            }
            else if (parse.GetValue(auditLog) is not null)
            {
                return Fail("--audit-log needs --enrolments (the gate is off without enrolments)");
            }

            // The gate writes (and fsyncs) its audit log inside its packet-in callback: on an epoll thread
            // that would stall every switch served by it, so inline completions only without the gate.
            if (gate is null)
                UseInlineSocketCompletions();
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(parse.GetValue(logLevel));
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Disabled;
            });
            builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
            builder.Services.AddSwitchGateController(options);
            if (gate is not null)
            {
                try
                {
                    builder.Services.AddSwitchGateAttestation(gate);
                }
                catch (ArgumentException ex)
                {
                    return Fail(ex.Message);
                }
            }
            using var host = builder.Build();
            try
            {
                host.Services.GetRequiredService<OpenFlowListener>().Start();
            }
            catch (System.Net.Sockets.SocketException ex)
            {
                return Fail($"cannot listen on {address}:{options.Port}: {ex.Message}");
            }
            await host.RunAsync(cancel);
            return 0;
        });
        return run;
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
            return $"--audit-log: cannot append to '{path}': {ex.Message}";
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

    private static TimeSpan Seconds(double value) =>
        double.IsFinite(value) && Math.Abs(value) < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(value) : TimeSpan.Zero;

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"switchgate controller: {message}");
        return 2;
    }
}
