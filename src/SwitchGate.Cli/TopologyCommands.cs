using System.CommandLine;
using System.Runtime.InteropServices;
using SwitchGate.Topology;

namespace SwitchGate.Cli;

/// <summary>
/// `switchgate topology ...`: build and tear down test-rack topologies.
/// `up` runs in the foreground and tears down on Ctrl-C (or SIGTERM); while it runs it keeps a
/// state file listing what it created, so `down` can clean up after an `up` that was killed.
/// </summary>
internal static class TopologyCommands
{
    /// <summary>State files of running (or killed) `topology up` processes.</summary>
    public const string StateDirectory = "/run/switchgate/topology";

    public static Command Create()
    {
        var command = new Command("topology", "Build and tear down test-rack topologies");
        command.Subcommands.Add(CreateCheck());
        command.Subcommands.Add(CreateUp());
        command.Subcommands.Add(CreateDown());
        return command;
    }

    private static Command CreateCheck()
    {
        var file = new Argument<string>("FILE") { Description = "Topology file (YAML)" };
        var command = new Command("check", "Validate a topology file and print what it describes") { file };
        command.SetAction(parse => Guard(() =>
        {
            var spec = TopologyLoader.LoadFile(parse.GetValue(file)!);
            PrintSpec(spec, null);
            return Task.FromResult(0);
        }));
        return command;
    }

    private static Command CreateUp()
    {
        var file = new Argument<string>("FILE") { Description = "Topology file (YAML)" };
        var port = new Option<int?>("--controller-port") { Description = "Controller TCP port on 127.0.0.1 for every switch (overrides the file)" };
        var command = new Command("up", "Build a topology, keep it until Ctrl-C, then tear it down") { file, port };
        command.SetAction((parse, framework) => Guard(async () =>
        {
            using var termination = new Termination(framework);
            var cancel = termination.Token;
            var spec = TopologyLoader.LoadFile(parse.GetValue(file)!);
            var names = TopologyNames.CreateUnique();
            var options = new TopologyRunOptions
            {
                Names = names,
                ControllerPort = parse.GetValue(port),
                StateFile = Path.Combine(StateDirectory, names.Prefix + ".json"),
                Log = line => Console.Error.WriteLine($"  {line}"),
            };
            // Held (flock, through FileShare.None) while this process lives: `down` leaves a live run alone.
            Directory.CreateDirectory(StateDirectory);
            var lockPath = Path.Combine(StateDirectory, names.Prefix + ".lock");
            await using var owner = new FileStream(lockPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
            try
            {
                return await UpAndWaitAsync(spec, options, cancel);
            }
            finally
            {
                File.Delete(lockPath);
            }
        }));
        return command;
    }

    private static async Task<int> UpAndWaitAsync(TopologySpec spec, TopologyRunOptions options, CancellationToken cancel)
    {
        var prefix = options.Names!.Prefix;
        await using var topology = await TopologyRunner.UpAsync(spec, options, cancel);
        PrintSpec(spec, topology);
        Console.WriteLine($"topology {prefix} is up; Ctrl-C tears it down (after a crash: switchgate topology down {prefix})");
        try
        {
            await Task.Delay(Timeout.Infinite, cancel);
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine("tearing down");
        }
        return 0;
    }

    private static Command CreateDown()
    {
        var prefix = new Argument<string?>("PREFIX") { Description = "Run prefix (sgXXXX) as printed by `up`; default: every recorded run", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("down", "Tear down topologies left behind by a killed `topology up`") { prefix };
        command.SetAction(parse => Guard(async () =>
        {
            var only = parse.GetValue(prefix);
            if (only is not null) _ = new TopologyNames(only);
            var files = Directory.Exists(StateDirectory)
                ? Directory.GetFiles(StateDirectory, (only ?? "sg*") + ".json")
                : [];
            if (files.Length == 0)
            {
                Console.WriteLine(only is null ? "no recorded topologies" : $"no recorded topology {only}");
                return only is null ? 0 : 1;
            }
            var status = 0;
            foreach (var state in files)
            {
                var run = Path.GetFileNameWithoutExtension(state);
                var lockPath = Path.ChangeExtension(state, ".lock");
                FileStream owner;
                try
                {
                    owner = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                }
                catch (IOException)
                {
                    Console.WriteLine($"{run} belongs to a running `topology up`: stop that one with Ctrl-C");
                    status = 1;
                    continue;
                }
                await using (owner)
                {
                    await TopologyRunner.TearDownAsync(TopologyRunner.ReadStateFile(state), line => Console.WriteLine($"  {line}"));
                    File.Delete(state);
                    File.Delete(lockPath);
                }
                Console.WriteLine($"{run} torn down");
            }
            return status;
        }));
        return command;
    }

    private static void PrintSpec(TopologySpec spec, RunningTopology? running)
    {
        foreach (var sw in spec.Switches)
        {
            var where = running is null ? "" : $"  bridge {running.Names.Bridge(sw.Name)}, controller {running.ControllerTarget(sw)}";
            Console.WriteLine($"switch {sw.Name}  dpid 0x{sw.DatapathIdHex}{where}");
        }
        foreach (var host in spec.Hosts)
        {
            var link = spec.LinkOf(host.Name);
            var where = running is null ? "" : $"  netns {running.Names.Namespace(host.Name)}";
            var role = host.Role == HostRole.Host ? "" : $"  ({host.Role}, dirty MAC {host.DirtyMac})";
            Console.WriteLine($"host   {host.Name,-8} {host.Mac}  {host.Cidr,-18} {link.Switch} port {link.Port}{where}{role}");
        }
    }

    /// <summary>
    /// Ctrl-C (SIGINT), SIGTERM and SIGQUIT cancel <see cref="Token"/> instead of ending the
    /// process, so the `await using` teardown runs to completion however long it takes.
    /// </summary>
    internal sealed class Termination : IDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly PosixSignalRegistration[] _registrations;

        public Termination(CancellationToken framework)
        {
            _source = CancellationTokenSource.CreateLinkedTokenSource(framework);
            _registrations =
            [
                .. new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT }
                    .Select(signal => PosixSignalRegistration.Create(signal, context =>
                    {
                        context.Cancel = true;
                        _source.Cancel();
                    })),
            ];
        }

        public CancellationToken Token => _source.Token;

        public void Dispose()
        {
            foreach (var registration in _registrations) registration.Dispose();
            _source.Dispose();
        }
    }

    /// <summary>One line, no stack trace: 2 for a bad topology file or argument, 1 for a failed command, 130 when interrupted.</summary>
    internal static async Task<int> Guard(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (e is TopologyFileException or ArgumentException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (Exception e) when (e is CommandFailedException or TopologyTeardownException or IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            // Interrupted while building: what was created is already torn down. 128 + SIGINT.
            Console.Error.WriteLine("interrupted");
            return 130;
        }
    }
}
