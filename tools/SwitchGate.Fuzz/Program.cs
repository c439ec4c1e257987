using SharpFuzz;
using SwitchGate.Fuzz;

// sg-fuzz TARGET                    run under afl-fuzz (SharpFuzz's fork server; one input per run from stdin otherwise)
// sg-fuzz TARGET --replay PATH...   run every file (or every file of a directory) once; exit 1 if any is a finding
// sg-fuzz TARGET --bench SECONDS PATH...  uninstrumented inputs/s over those files, round-robin (harness cost, not fuzzing)
// sg-fuzz --write-seeds DIR         the project's own starting corpus, one subdirectory per target
// sg-fuzz --list                    the targets and the assemblies scripts/fuzz instruments for each
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: sg-fuzz TARGET [--replay PATH...] | sg-fuzz --list");
    return 2;
}

if (args[0] == "--write-seeds" && args.Length == 2)
{
    SeedWriter.Write(args[1]);
    return 0;
}

if (args[0] == "--list")
{
    foreach (var t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name}\t{string.Join(',', t.InstrumentedAssemblies)}\t{t.Description}");
    }
    return 0;
}

var target = FuzzTargets.Find(args[0]);
if (target is null)
{
    Console.Error.WriteLine($"unknown target '{args[0]}' (sg-fuzz --list)");
    return 2;
}

if (args.Length > 1 && args[1] == "--replay")
{
    var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order().ToList();
    var findings = 0;
    foreach (var file in files)
    {
        try
        {
            target.Run(File.ReadAllBytes(file));
        }
        catch (Exception e)
        {
            findings++;
            Console.Error.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
            if (Environment.GetEnvironmentVariable("SG_FUZZ_TRACE") == "1")
            {
                Console.Error.WriteLine(e.StackTrace);
            }
        }
    }
    Console.WriteLine($"{target.Name}: {files.Count} inputs, {findings} findings");
    return findings == 0 ? 0 : 1;
}

if (args.Length > 3 && args[1] == "--bench" && double.TryParse(args[2], System.Globalization.CultureInfo.InvariantCulture, out var benchSeconds))
{
    var inputs = args.Skip(3).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order().Select(File.ReadAllBytes).ToList();
    // Warm-up: JIT and first-use costs are paid once per fuzzing process too, not per input.
    foreach (var input in inputs)
    {
        target.Run(input);
    }
    var clock = System.Diagnostics.Stopwatch.StartNew();
    long runs = 0;
    while (clock.Elapsed.TotalSeconds < benchSeconds)
    {
        foreach (var input in inputs)
        {
            target.Run(input);
        }
        runs += inputs.Count;
    }
    Console.WriteLine($"{target.Name}: {inputs.Count} inputs, {runs} runs in {clock.Elapsed.TotalSeconds:0.0} s: {runs / clock.Elapsed.TotalSeconds:0} inputs/s, {clock.Elapsed.TotalMicroseconds / runs:0.0} µs each");
    return 0;
}

Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target.Run(buffer.ToArray());
});
return 0;
