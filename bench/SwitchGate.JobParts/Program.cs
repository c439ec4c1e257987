using System.CommandLine;
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
var cliDllOption = new Option<FileInfo>("--cli-dll") { Description = "the built switchgate.dll (switchgate-agent.dll and switchgate-host.dll next to it)", Required = true };
cliDllOption.Validators.Add(r =>
{
    if (r.GetValue(cliDllOption) is { Exists: false } f)
        r.AddError($"--cli-dll {f.FullName} does not exist");
});
var runsOption = new Option<int>("--runs") { Description = "runs (cycles, jobs)", DefaultValueFactory = _ => 5 };
var topologyOption = new Option<string>("--topology") { Description = "the rack's topology file", DefaultValueFactory = _ => "topology/rack.yaml" };
string Cli(ParseResult r) => r.GetRequiredValue(cliDllOption).FullName;

var curlRunsOption = new Option<int>("--curl-runs") { Description = "curl downloads of the same state file", DefaultValueFactory = _ => 5 };
var jobs = new Command("jobs", "whole boot jobs: phases, transfer, resume, orchestration overhead; curl as the transfer's peer")
{
    cliDllOption, runsOption, curlRunsOption, topologyOption,
};
jobs.SetAction((r, ct) => JobsBench.RunAsync(Cli(r), r.GetValue(runsOption), r.GetValue(curlRunsOption), r.GetValue(topologyOption)!, ct));

var sizeOption = new Option<int>("--size-mib") { Description = "size of the file transferred", DefaultValueFactory = _ => 256 };
var roundsOption = new Option<int>("--rounds") { Description = "rounds, alternating the order", DefaultValueFactory = _ => 5 };
var transfer = new Command("transfer", "JobClient against curl, same file, same server, same namespaces") { cliDllOption, sizeOption, roundsOption, topologyOption };
transfer.SetAction((r, ct) => TransferBench.RunAsync(Cli(r), r.GetValue(sizeOption), r.GetValue(roundsOption), r.GetValue(topologyOption)!, ct));

var qemu = new Command("qemu", "the QEMU steps of a job with the real driver") { runsOption };
qemu.SetAction((r, ct) => QemuBench.RunAsync(r.GetValue(runsOption), ct));

var reboot = new Command("reboot", "the emulated reboot broken down on the rack") { cliDllOption, runsOption, topologyOption };
reboot.SetAction((r, ct) => RebootBench.RunAsync(Cli(r), r.GetValue(runsOption), r.GetValue(topologyOption)!, ct));

var jobReboot = new Command("jobreboot", "the reboot breakdown inside real boot jobs") { cliDllOption, runsOption, topologyOption };
jobReboot.SetAction((r, ct) => RebootBench.RunJobsAsync(Cli(r), r.GetValue(runsOption), r.GetValue(topologyOption)!, ct));

var urlOption = new Option<string>("--url") { Required = true };
var bindOption = new Option<string>("--bind") { Required = true };
var fetchSizeOption = new Option<long>("--size") { Required = true };
var shaOption = new Option<string>("--sha256") { Required = true };
var outOption = new Option<string>("--out") { Required = true };
var fetch = new Command("fetch", "(internal) one JobClient download, run by `transfer` inside prod's namespace")
{
    urlOption, bindOption, fetchSizeOption, shaOption, outOption,
};
fetch.SetAction((r, ct) => TransferBench.FetchAsync(new Uri(r.GetRequiredValue(urlOption)), System.Net.IPAddress.Parse(r.GetRequiredValue(bindOption)),
    r.GetValue(fetchSizeOption), r.GetRequiredValue(shaOption), r.GetRequiredValue(outOption), ct));

var root = new RootCommand("sg-jobparts: boot job benchmarks (docs/BENCHMARKS.md \"Boot jobs\")") { jobs, transfer, qemu, reboot, jobReboot, fetch };
try
{
    // Our own SIGINT/SIGTERM handling cancels and cleans up; System.CommandLine must neither exit early nor swallow exceptions.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, cancel.Token);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"sg-jobparts: {e.Message}");
    return 2;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("sg-jobparts: cancelled; everything it started was stopped");
    return 130;
}

namespace SwitchGate.JobParts
{
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
