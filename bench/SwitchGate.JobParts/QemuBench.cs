using System.Diagnostics;
using System.Globalization;
using SwitchGate.Hypervisor;

namespace SwitchGate.JobParts;

/// <summary>
/// `sg-jobparts qemu`: the QEMU steps of a boot job with the real driver and the test guest, as the job service and
/// switchgate-host run them, timed one by one (the job record only has Booting and Saving as a whole): start
/// (BootFull: QEMU process + QMP), boot (running → marker on the serial console), unplug (device_del of the boot-only
/// devices until DEVICE_DELETED), save (stop + migrate to the file + fsync), stop (QMP quit until the pid is gone),
/// resume (ProductionMinimal: QEMU with -incoming, state streamed in, cont), run-on (resumed → a counter past the one
/// at the pause). Every QEMU is stopped through the driver (by pid), also on failure or cancellation.
/// </summary>
internal static class QemuBench
{
    private static readonly string[] Columns = ["start", "boot", "unplug", "save", "stop", "resume", "run-on"];

    public static async Task<int> RunAsync(int runs, CancellationToken ct)
    {
        var image = await TestGuest.LocateAsync(ct);
        var spec = image.ToSpec();
        var accelerator = AcceleratorProbe.Describe();
        var work = Directory.CreateTempSubdirectory("sg-jobparts-").FullName;
        Console.WriteLine($"== QEMU steps of a boot job: test guest {Path.GetFileName(image.KernelPath)} + {Path.GetFileName(image.InitrdPath)}, "
            + $"{spec.MemoryMiB} MiB, accelerator {accelerator.Accelerator.ToString().ToLowerInvariant()} ({accelerator.Reason.Split('\n')[0]}), "
            + $"{runs} runs, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}, load average {Stat.LoadAverage()}");
        Console.WriteLine("run " + string.Concat(Columns.Select(c => c.PadLeft(9))) + "   state MiB  load1   (seconds)");
        var rows = new List<double[]>();
        try
        {
            for (var run = 1; run <= runs; run++)
            {
                var row = await OneAsync(spec, Path.Combine(work, run.ToString(CultureInfo.InvariantCulture)), ct);
                rows.Add(row.Seconds);
                Console.WriteLine($"{run,3} " + string.Concat(row.Seconds.Select(v => v.ToString("F3", CultureInfo.InvariantCulture).PadLeft(9)))
                    + $"   {row.StateBytes / 1048576.0,9:F1}  {Stat.LoadAverage().Split(' ')[0]}");
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
        for (var c = 0; c < Columns.Length; c++)
        {
            var values = rows.Select(r => r[c]).ToList();
            Console.WriteLine($"{Columns[c],-7} s: {Stat.Summary(values)}");
        }
        var medians = Columns.Select((c, i) => c.Replace("-", "_", StringComparison.Ordinal) + "_s_median="
            + Stat.Median(rows.Select(r => r[i]).ToList()).ToString("F3", CultureInfo.InvariantCulture));
        Console.WriteLine($"RESULT accelerator={accelerator.Accelerator.ToString().ToLowerInvariant()} runs={runs} " + string.Join(' ', medians));
        Console.WriteLine($"end: load average {Stat.LoadAverage()}");
        return 0;
    }

    private static async Task<(double[] Seconds, long StateBytes)> OneAsync(GuestSpec spec, string dir, CancellationToken ct)
    {
        var state = Path.Combine(Directory.CreateDirectory(dir).FullName, "state");
        var seconds = new double[Columns.Length];
        var watch = Stopwatch.StartNew();
        double Lap()
        {
            var s = watch.Elapsed.TotalSeconds;
            watch.Restart();
            return s;
        }
        string? paused;
        long bytes;
        await using (var guest = await QemuGuest.BootAsync(spec, DeviceProfile.BootFull, Path.Combine(dir, "b"), ct))
        {
            seconds[0] = Lap();
            await guest.WaitForSerialAsync(TestGuest.BootMarker, TimeSpan.FromSeconds(120), ct);
            seconds[1] = Lap();
            await guest.UnplugBootDevicesAsync(ct);
            seconds[2] = Lap();
            bytes = (await guest.SaveStateAsync(state, ct)).Bytes;
            seconds[3] = Lap();
            paused = guest.LastSerialLine();
            await guest.QuitAsync(ct);
            seconds[4] = Lap();
        }
        var at = Counter(paused) ?? -1;
        await using (var resumed = await QemuGuest.ResumeAsync(spec, DeviceProfile.ProductionMinimal, state, Path.Combine(dir, "p"), ct))
        {
            seconds[5] = Lap();
            await resumed.WaitForSerialAsync(l => Counter(l) > at, $"a counter past {at}", TimeSpan.FromSeconds(60), ct);
            seconds[6] = Lap();
            await resumed.QuitAsync(ct);
        }
        return (seconds, bytes);
    }

    private static int? Counter(string? line)
    {
        var i = line?.IndexOf("counter=", StringComparison.Ordinal) ?? -1;
        if (i < 0) return null;
        var digits = new string(line![(i + 8)..].TakeWhile(char.IsAsciiDigit).Take(9).ToArray());
        return digits.Length > 0 ? int.Parse(digits, CultureInfo.InvariantCulture) : null;
    }
}
