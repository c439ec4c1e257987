namespace SwitchGate.BootAgent.Jobs;

/// <summary>The machine a job boots: the first image's files (in the job's directory) and its parameters.</summary>
public sealed record GuestLaunch(string KernelPath, string? InitrdPath, string? DiskPath, string KernelCommandLine, int MemoryMiB);

/// <summary>
/// What the job pipeline needs from the hypervisor (src/SwitchGate.Hypervisor's QemuGuest with the boot device set,
/// docs/hypervisor.md); the seam keeps the pipeline's shell independent of the driver's process handling.
/// </summary>
public interface IGuestHypervisor
{
    Task<IBootingGuest> BootAsync(GuestLaunch launch, string workDirectory, CancellationToken ct);
}

/// <summary>A guest started with the boot device set.</summary>
public interface IBootingGuest : IAsyncDisposable
{
    int ProcessId { get; }

    /// <summary>"kvm" or "tcg", as chosen at run time.</summary>
    string Accelerator { get; }

    /// <summary>The first serial line containing <paramref name="marker"/>; <see cref="TimeoutException"/> at the deadline.</summary>
    Task<string> WaitForSerialAsync(string marker, TimeSpan timeout, CancellationToken ct);

    Task UnplugBootDevicesAsync(CancellationToken ct);

    /// <summary>Pauses the guest and writes its state durably (temp file, fsync, rename) to <paramref name="stateFile"/>.</summary>
    Task SaveStateAsync(string stateFile, CancellationToken ct);

    /// <summary>The last complete line on the guest's serial console (bounded; the guest wrote it, so only shown).</summary>
    string? LastSerialLine();

    Task QuitAsync(CancellationToken ct);
}
