using SwitchGate.LoadGen;

// sg-loadgen: cbench-style OpenFlow 1.3 load generator and policy-install benchmark (docs/BENCHMARKS.md).
const string Usage = """
usage: sg-loadgen [run] [--mode throughput|latency] [--target HOST:PORT] [--switches N] [--duration S] [--warmup S]
                  [--macs M] [--ports P] [--window W (0 = blast)] [--table-id T] [--target-pid PID] [--label NAME]
                  [--verbose true]
       sg-loadgen policy-install --bridge BR [--flows N] [--rounds R]
""";

// Opt-in (SG_LOADGEN_INLINE_COMPLETIONS=1): socket completions on the epoll thread instead of the thread pool.
// Measured here it makes the generator's throughput mode erratic (all 16 readers serialised on one epoll thread),
// so it is off by default. Read once, when the first socket is used, so it must be set before that.
if (Environment.GetEnvironmentVariable("SG_LOADGEN_INLINE_COMPLETIONS") == "1")
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

try
{
    var command = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "run";
    var rest = command == "run" && (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal)) ? args : args[1..];
    return command switch
    {
        "run" => await LoadRun.RunAsync(LoadOptions.Parse(new Args(rest))),
        "policy-install" => await PolicyInstall.RunAsync(PolicyInstallOptions.Parse(new Args(rest))),
        "help" or "--help" => Help(),
        _ => throw new UsageException($"unknown command '{command}'"),
    };
}
catch (UsageException ex)
{
    Console.Error.WriteLine($"sg-loadgen: {ex.Message}");
    Console.Error.Write(Usage);
    return 2;
}
catch (System.Net.Sockets.SocketException ex)
{
    Console.Error.WriteLine($"sg-loadgen: {ex.Message}");
    return 3;
}

static int Help()
{
    Console.Write(Usage);
    return 0;
}
