using System.Globalization;
using System.Runtime.InteropServices;
using SwitchGate.JobParts;

// sg-jobparts: boot jobs (issue 9, docs/BENCHMARKS.md "Boot jobs") whole, and the parts of a job that the whole-job
// run cannot separate or compare fairly:
//   jobs      RUNS whole boot jobs (phases, transfer, resume, orchestration overhead), then curl on the same state file;
//   transfer  the second-image download of switchgate-host (JobClient) against curl, same file, same server, same
//             namespaces (prod <- bs1 through the gate), alternating, medians;
//   qemu      the QEMU steps of a job with the real driver: start, boot to marker, unplug, save, stop, resume;
//   reboot    the emulated reboot broken down: TPM power cycle, measured launch, MAC change, attestation;
//   jobreboot the same breakdown inside real boot jobs (the job service's log, warm);
//   fetch     (internal) one JobClient download, run by `transfer` inside prod's namespace.
// SIGINT/SIGTERM cancel the run; everything started is stopped by pid and the rack torn down on the way out.
using var cancel = new CancellationTokenSource();
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    Console.Error.WriteLine($"sg-jobparts: {context.Signal}, stopping");
    cancel.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
const string usage =
    "usage: sg-jobparts jobs --cli-dll PATH [--runs 5] [--curl-runs 5] [--topology topology/rack.yaml]\n" +
    "       sg-jobparts transfer --cli-dll PATH [--size-mib 256] [--rounds 5] [--topology topology/rack.yaml]\n" +
    "       sg-jobparts qemu [--runs 5]\n" +
    "       sg-jobparts reboot --cli-dll PATH [--runs 5] [--topology topology/rack.yaml]\n" +
    "       sg-jobparts jobreboot --cli-dll PATH [--runs 5] [--topology topology/rack.yaml]\n" +
    "       sg-jobparts fetch --url BASE --bind ADDR --size N --sha256 HEX --out FILE";
try
{
    return args.FirstOrDefault() switch
    {
        "jobs" => await JobsBench.RunAsync(args[1..], cancel.Token),
        "transfer" => await TransferBench.RunAsync(args[1..], cancel.Token),
        "qemu" => await QemuBench.RunAsync(args[1..], cancel.Token),
        "reboot" => await RebootBench.RunAsync(args[1..], cancel.Token),
        "jobreboot" => await RebootBench.RunJobsAsync(args[1..], cancel.Token),
        "fetch" => await TransferBench.FetchAsync(args[1..], cancel.Token),
        _ => throw new ArgumentException("no mode given"),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"sg-jobparts: {e.Message}\n{usage}");
    return 2;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("sg-jobparts: cancelled; everything it started was stopped");
    return 130;
}

namespace SwitchGate.JobParts
{
    internal static class Args
    {
        /// <summary>"--name value" pairs; an unknown name or a missing value is an <see cref="ArgumentException"/>.</summary>
        public static Dictionary<string, string> Parse(string[] args, params string[] known)
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < args.Length; i++)
            {
                if (!known.Contains(args[i]))
                    throw new ArgumentException($"unknown argument '{args[i]}'");
                if (i + 1 >= args.Length)
                    throw new ArgumentException($"{args[i]} needs a value");
                values[args[i]] = args[++i];
            }
            return values;
        }

        public static int Int(Dictionary<string, string> values, string name, int fallback) =>
            values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>Median and spread of a few samples (the runs are few: no percentiles beyond min/max).</summary>
    internal static class Stat
    {
        public static double Median(IReadOnlyCollection<double> values)
        {
            var sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        public static string Summary(IReadOnlyCollection<double> values, string format = "F3") =>
            string.Create(CultureInfo.InvariantCulture,
                $"median {Median(values).ToString(format, CultureInfo.InvariantCulture)} (min {values.Min().ToString(format, CultureInfo.InvariantCulture)}, max {values.Max().ToString(format, CultureInfo.InvariantCulture)}, n={values.Count})");

        public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();
    }
}
