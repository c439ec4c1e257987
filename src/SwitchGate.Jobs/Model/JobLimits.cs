namespace SwitchGate.Jobs.Model;

/// <summary>
/// Bounds on everything a job carries (docs/jobs.md "Limits"). They are checked by the codecs and by the transfer
/// on both sides, so a hostile document or stream cannot make the agent allocate or store more than this.
/// </summary>
public static class JobLimits
{
    /// <summary>job.json as uploaded by the production host.</summary>
    public const int JobFileBytes = 16 * 1024;

    /// <summary>The second image's manifest.json.</summary>
    public const int ManifestBytes = 16 * 1024;

    /// <summary>The agent's record.json (state and phase history).</summary>
    public const int RecordBytes = 64 * 1024;

    /// <summary>Phase history entries kept in a record (the oldest are dropped first).</summary>
    public const int MaxPhases = 48;

    public const long KernelBytes = 128L << 20;
    public const long InitrdBytes = 1L << 30;
    public const long DiskBytes = 8L << 30;

    public const int MinMemoryMiB = 32;
    public const int MaxMemoryMiB = 8192;

    /// <summary>A saved state is the guest's RAM (at most) plus device state; TCG/KVM add well under 64 MiB.</summary>
    public static long StateBytes(int memoryMiB) => ((long)memoryMiB << 20) + (64L << 20);

    public const int CommandLineBytes = 2048;
    public const int MarkerBytes = 128;
    public const int BootedLineBytes = 512;
    public const int FailureBytes = 1024;

    public static readonly TimeSpan MinDeadline = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxDeadline = TimeSpan.FromHours(1);

    /// <summary>Jobs one production host may have not yet finished (Receiving … Ready).</summary>
    public const int OpenJobsPerSubmitter = 4;

    /// <summary>How often the agent boots the guest again after it was restarted mid dirty phase before giving up.</summary>
    public const int MaxBootAttempts = 2;
}
