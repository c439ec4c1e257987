namespace SwitchGate.Jobs.Model;

/// <summary>The size and SHA-256 (64 lowercase hex digits) of one file of an image.</summary>
public sealed record FileDigest(long Size, string Sha256);

/// <summary>The files of a first image, by their fixed names on the wire and on disk (never a caller-chosen path).</summary>
public enum FirstImageFile
{
    Kernel,
    Initrd,
    Disk,
}

/// <summary>The files of a second image.</summary>
public enum SecondImageFile
{
    Manifest,
    State,
    Disk,
}

/// <summary>
/// A boot job as the production host submits it (job.json, docs/jobs.md): the first image (kernel, optional
/// initrd, optional disk, kernel command line, memory), what "booted" means (a line on the guest's serial console
/// containing <see cref="BootedMarker"/>) and the deadline for it, counted from the guest's start.
/// </summary>
public sealed record BootJob(
    FileDigest Kernel,
    FileDigest? Initrd,
    FileDigest? Disk,
    string KernelCommandLine,
    int MemoryMiB,
    string BootedMarker,
    TimeSpan Deadline)
{
    public FileDigest? File(FirstImageFile file) => file switch
    {
        FirstImageFile.Kernel => Kernel,
        FirstImageFile.Initrd => Initrd,
        FirstImageFile.Disk => Disk,
        _ => null,
    };

    public static long MaxSize(FirstImageFile file) => file switch
    {
        FirstImageFile.Kernel => JobLimits.KernelBytes,
        FirstImageFile.Initrd => JobLimits.InitrdBytes,
        _ => JobLimits.DiskBytes,
    };
}

/// <summary>
/// The second image's manifest (manifest.json): the saved VM state and the guest's disk after the boot, with their
/// digests, and the machine both sides must start the same way (command line, memory, the first image's kernel and
/// initrd digests, which the production host already holds). <see cref="LastSerialLine"/> is the guest's last console
/// line before the pause (informational: the production host shows that the resumed guest carries on from there).
/// </summary>
public sealed record SecondImage(
    string JobId,
    FileDigest State,
    FileDigest? Disk,
    string KernelSha256,
    string? InitrdSha256,
    string KernelCommandLine,
    int MemoryMiB,
    string BootedLine,
    string Accelerator,
    DateTimeOffset SavedAt,
    string? LastSerialLine = null)
{
    public FileDigest? File(SecondImageFile file) => file switch
    {
        SecondImageFile.State => State,
        SecondImageFile.Disk => Disk,
        _ => null,
    };
}
