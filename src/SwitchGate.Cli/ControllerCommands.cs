using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using SwitchGate.Controller;

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

        var run = new Command("run", "Listen for OpenFlow 1.3 switches and run the pipeline until SIGTERM/SIGINT")
        {
            listen, port, echoInterval, echoTimeout, helloTimeout, maxMacs, macIdle, logLevel,
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

    private static TimeSpan Seconds(double value) =>
        double.IsFinite(value) && Math.Abs(value) < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(value) : TimeSpan.Zero;

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"switchgate controller: {message}");
        return 2;
    }
}
