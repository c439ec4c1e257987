using System.Diagnostics;
using System.Globalization;

namespace SwitchGate.LoadGen;

/// <summary>
/// CPU and memory figures from procfs (proc(5)): a process's utime+stime (/proc/PID/stat fields 14 and 15),
/// the machine's busy time (/proc/stat "cpu" line) and VmRSS (/proc/PID/status).
/// </summary>
internal static class ProcStats
{
    /// <summary>USER_HZ: the unit of the times in /proc; 100 on every Linux architecture .NET runs on.</summary>
    private const double ClockTicksPerSecond = 100.0;

    public static double SelfCpuSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>utime+stime of <paramref name="pid"/> in seconds, or null if it cannot be read.</summary>
    public static double? ProcessCpuSeconds(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // comm (field 2) is in parentheses and may contain spaces: count fields after the last ')'.
            var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // rest[0] is field 3 (state), so field 14 is rest[11] and field 15 is rest[12].
            return (long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture)) / ClockTicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>(busy, total) seconds summed over all CPUs since boot, from the "cpu" line of /proc/stat.</summary>
    public static (double Busy, double Total) MachineCpuSeconds()
    {
        var line = File.ReadLines("/proc/stat").First();
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already in user.
        long idle = f[3] + f[4];
        long total = f.Take(8).Sum();
        return ((total - idle) / ClockTicksPerSecond, total / ClockTicksPerSecond);
    }

    /// <summary>VmRSS of <paramref name="pid"/> in KiB, or null.</summary>
    public static long? RssKiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
        }
        return null;
    }
}
