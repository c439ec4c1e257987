using System.Globalization;

namespace SwitchGate.AttestLoad;

/// <summary>CPU and memory from procfs (proc(5)).</summary>
internal static class ProcFs
{
    /// <summary>USER_HZ, the unit of /proc times: 100 on every Linux architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100.0;

    /// <summary>utime + stime (/proc/PID/stat fields 14 and 15) in seconds; null once the process is gone.</summary>
    public static double? CpuSeconds(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // comm (field 2) may contain spaces: count from the last ')'; rest[0] is field 3.
            var rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(rest[11], CultureInfo.InvariantCulture) + long.Parse(rest[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>A "Vm…" line of /proc/PID/status (VmRSS, VmHWM) in KiB, or null.</summary>
    public static long? StatusKiB(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                    return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
        }
        return null;
    }

    /// <summary>(busy, total) CPU seconds of the whole machine from the "cpu" line of /proc/stat.</summary>
    public static (double Busy, double Total) MachineCpu()
    {
        var f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        long idle = f[3] + f[4];
        long total = f.Take(8).Sum();
        return ((total - idle) / TicksPerSecond, total / TicksPerSecond);
    }

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
}
