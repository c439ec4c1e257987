namespace SwitchGate.Hypervisor;

/// <summary>
/// What both sides need to start the same machine. The boot server and the production host start QEMU from
/// the same spec (the saved state only fits a machine with the same memory size, CPU count and disk).
/// </summary>
/// <param name="KernelPath">The guest kernel (bzImage), passed with <c>-kernel</c>.</param>
/// <param name="InitrdPath">Optional initramfs (<c>-initrd</c>).</param>
/// <param name="DiskPath">
/// Optional guest disk, raw format, attached read-write as <c>virtio-blk-pci,id=disk0</c> on BOTH sides: it is
/// the guest's own disk and travels with the second image. It is not a boot-only device.
/// </param>
/// <param name="KernelCommandLine">The kernel command line (<c>-append</c>).</param>
/// <param name="MemoryMiB">Guest RAM in MiB (16..65536).</param>
/// <param name="Cpus">Virtual CPUs (1..64).</param>
/// <param name="BootMediaPath">
/// Optional read-only boot media (raw), attached only by <see cref="DeviceProfile.BootFull"/> as
/// <c>virtio-blk-pci,id=bootmedia</c> and unplugged with the other boot-only devices before the save.
/// </param>
public sealed record GuestSpec(
    string KernelPath, string? InitrdPath, string? DiskPath, string KernelCommandLine,
    int MemoryMiB, int Cpus = 1, string? BootMediaPath = null)
{
    public const int MinMemoryMiB = 16;
    public const int MaxMemoryMiB = 65536;
    public const int MaxCpus = 64;

    /// <summary>Linux's COMMAND_LINE_SIZE on x86.</summary>
    public const int MaxKernelCommandLineBytes = 2048;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad field; returns the spec.</summary>
    public GuestSpec Validated()
    {
        RequireFile(KernelPath, nameof(KernelPath));
        if (InitrdPath is not null) RequireFile(InitrdPath, nameof(InitrdPath));
        if (DiskPath is not null) RequireFile(DiskPath, nameof(DiskPath));
        if (BootMediaPath is not null) RequireFile(BootMediaPath, nameof(BootMediaPath));
        if (KernelCommandLine is null || System.Text.Encoding.UTF8.GetByteCount(KernelCommandLine) > MaxKernelCommandLineBytes
            || KernelCommandLine.Any(char.IsControl))
            throw new ArgumentException($"{nameof(KernelCommandLine)} must be at most {MaxKernelCommandLineBytes} bytes without control characters");
        if (MemoryMiB is < MinMemoryMiB or > MaxMemoryMiB)
            throw new ArgumentException($"{nameof(MemoryMiB)} must be {MinMemoryMiB}..{MaxMemoryMiB}, not {MemoryMiB}");
        if (Cpus is < 1 or > MaxCpus)
            throw new ArgumentException($"{nameof(Cpus)} must be 1..{MaxCpus}, not {Cpus}");
        return this;
    }

    private static void RequireFile(string path, string field)
    {
        if (string.IsNullOrEmpty(path) || !Path.IsPathFullyQualified(path))
            throw new ArgumentException($"{field} must be an absolute path, not '{path}'");
        if (!File.Exists(path))
            throw new ArgumentException($"{field}: no such file: {path}");
    }
}
