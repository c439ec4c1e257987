using SwitchGate.Hypervisor;

namespace SwitchGate.BootAgent.Jobs;

/// <summary>The job pipeline's hypervisor: QEMU through src/SwitchGate.Hypervisor with the boot device set (docs/hypervisor.md).</summary>
public static class GuestHypervisors
{
    public static IGuestHypervisor Create() => new Qemu();

    private sealed class Qemu : IGuestHypervisor
    {
        public async Task<IBootingGuest> BootAsync(GuestLaunch launch, string workDirectory, CancellationToken ct)
        {
            var spec = new GuestSpec(launch.KernelPath, launch.InitrdPath, launch.DiskPath, launch.KernelCommandLine, launch.MemoryMiB);
            return new Booting(await QemuGuest.BootAsync(spec, DeviceProfile.BootFull, workDirectory, ct).ConfigureAwait(false));
        }
    }

    private sealed class Booting(QemuGuest guest) : IBootingGuest
    {
        public int ProcessId => guest.ProcessId;

        public string Accelerator => guest.Accelerator.ToString().ToLowerInvariant();

        public Task<string> WaitForSerialAsync(string marker, TimeSpan timeout, CancellationToken ct) => guest.WaitForSerialAsync(marker, timeout, ct);

        public Task UnplugBootDevicesAsync(CancellationToken ct) => guest.UnplugBootDevicesAsync(ct);

        public Task SaveStateAsync(string stateFile, CancellationToken ct) => guest.SaveStateAsync(stateFile, ct);

        public string? LastSerialLine() => guest.LastSerialLine();

        public Task QuitAsync(CancellationToken ct) => guest.QuitAsync(ct);

        public ValueTask DisposeAsync() => guest.DisposeAsync();
    }
}
