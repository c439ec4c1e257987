using System.Runtime.InteropServices;
using SwitchGate.Topology;

namespace SwitchGate.Hypervisor;

/// <summary>How QEMU runs the guest's CPU.</summary>
public enum Accelerator
{
    /// <summary>Hardware virtualization through /dev/kvm.</summary>
    Kvm,
    /// <summary>QEMU's own binary translator: slower, works everywhere.</summary>
    Tcg,
}

/// <summary>The probe's answer and why, for reports (the choice is made at run time, never configured silently).</summary>
public sealed record AcceleratorChoice(Accelerator Accelerator, string Reason);

/// <summary>
/// Chooses KVM when it works, TCG otherwise. "Works" is checked in two steps: /dev/kvm opens read-write, speaks
/// the stable API (KVM_GET_API_VERSION = 12) and creates a VM; then QEMU under KVM runs a tiny guest
/// (KvmProbe/kvm-probe.S) that enters 64-bit long mode and exits through isa-debug-exit. The second step is
/// there because a container's /dev/kvm passed the first and still hung every real guest (docs/hypervisor.md).
/// <c>SG_QEMU_ACCEL=tcg</c> forces TCG (to measure it on a KVM machine); <c>SG_QEMU_ACCEL=kvm</c> insists on KVM
/// and fails when it does not work.
/// </summary>
public static class AcceleratorProbe
{
    public const string OverrideVariable = "SG_QEMU_ACCEL";
    private const string KvmDevice = "/dev/kvm";

    // linux/kvm.h: _IO(KVMIO = 0xAE, nr).
    private const uint KvmGetApiVersion = 0xAE00;
    private const uint KvmCreateVm = 0xAE01;
    private const int KvmApiVersion = 12;
    private const int ORdWr = 2;
    private const int OCloExec = 0x80000;

    private static readonly Lazy<Task<AcceleratorChoice>> Cached = new(() => Task.Run(Probe));

    /// <summary>The accelerator to use (probed once per process).</summary>
    public static Accelerator Detect() => Describe().Accelerator;

    /// <summary>The accelerator and the reason, e.g. "KVM (/dev/kvm works)" or "TCG (/dev/kvm: No such file or directory)".</summary>
    public static AcceleratorChoice Describe() => Cached.Value.GetAwaiter().GetResult();

    /// <summary>
    /// Starts the probe in the background (or returns the running or finished one): a long-running agent calls
    /// this at start so that the probe, up to <see cref="ProbeGuestTimeout"/> where KVM hangs, is not paid on its first boot.
    /// </summary>
    public static Task<AcceleratorChoice> ProbeAsync() => Cached.Value;

    private static AcceleratorChoice Probe()
    {
        var forced = Environment.GetEnvironmentVariable(OverrideVariable)?.Trim().ToLowerInvariant();
        var kvm = ProbeKvm();
        return forced switch
        {
            "tcg" => new(Accelerator.Tcg, $"TCG (forced by {OverrideVariable}=tcg)"),
            "kvm" => kvm is null
                ? new(Accelerator.Kvm, $"KVM (forced by {OverrideVariable}=kvm; {KvmDevice} works)")
                : throw new QemuException($"{OverrideVariable}=kvm but {KvmDevice} does not work: {kvm}"),
            null or "" or "auto" => kvm is null
                ? new(Accelerator.Kvm, $"KVM ({KvmDevice} works)")
                : new(Accelerator.Tcg, $"TCG ({KvmDevice}: {kvm})"),
            _ => throw new QemuException($"{OverrideVariable} must be kvm, tcg or auto, not '{forced}'"),
        };
    }

    /// <summary>Null when KVM works, else what failed.</summary>
    private static string? ProbeKvm()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        var fd = Open(KvmDevice, ORdWr | OCloExec);
        if (fd < 0) return Marshal.GetLastPInvokeErrorMessage();
        try
        {
            var version = Ioctl(fd, KvmGetApiVersion, 0);
            if (version != KvmApiVersion)
                return version < 0 ? $"KVM_GET_API_VERSION: {Marshal.GetLastPInvokeErrorMessage()}" : $"KVM API version {version}, not {KvmApiVersion}";
            var vm = Ioctl(fd, KvmCreateVm, 0);
            if (vm < 0) return $"KVM_CREATE_VM: {Marshal.GetLastPInvokeErrorMessage()}";
            // The probe only asks whether KVM can create a VM; a failing close of these descriptors changes no answer.
            _ = Close(vm);
        }
        finally
        {
            _ = Close(fd);
        }
        return RunProbeGuest();
    }

    /// <summary>How long the probe guest may take: it exits within a fraction of a second wherever KVM works.</summary>
    public static readonly TimeSpan ProbeGuestTimeout = TimeSpan.FromSeconds(5);

    // isa-debug-exit makes QEMU exit with (value << 1) | 1; the probe writes 0x31.
    private const int ProbeGuestExitCode = (0x31 << 1) | 1;

    /// <summary>Null when QEMU under KVM ran the probe guest into long mode and out again, else what happened.</summary>
    private static string? RunProbeGuest()
    {
        var dir = Directory.CreateTempSubdirectory("sg-kvm-probe");
        try
        {
            var elf = Path.Combine(dir.FullName, "kvm-probe.elf");
            using (var resource = typeof(AcceleratorProbe).Assembly.GetManifestResourceStream("kvm-probe.elf")
                ?? throw new InvalidOperationException("kvm-probe.elf is not embedded"))
            using (var file = File.Create(elf))
                resource.CopyTo(file);
            string[] args = ["-machine", QemuCommandLine.MachineType, "-accel", "kvm", .. QemuCommandLine.CpuArguments(Accelerator.Kvm),
                "-nodefaults", "-no-user-config", "-display", "none", "-m", "16", "-kernel", elf,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"];
            var result = CommandRunner.TryRunAsync(QemuCommandLine.Binary, args, ProbeGuestTimeout).GetAwaiter().GetResult();
            return result.ExitCode == ProbeGuestExitCode
                ? null
                : $"QEMU under KVM exited {result.ExitCode} running the probe guest: {result.StandardError.Trim()}";
        }
        catch (CommandFailedException e)
        {
            return $"QEMU under KVM did not run the probe guest into 64-bit mode within {ProbeGuestTimeout.TotalSeconds:0} s ({e.Message.Split('\n')[0]})";
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static extern int Ioctl(int fd, nuint request, nint argument);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int Close(int fd);
}
