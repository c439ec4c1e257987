namespace SwitchGate.Hypervisor;

/// <summary>
/// The two device sets (docs/hypervisor.md). Both start from <c>-nodefaults</c> on the same pinned machine type,
/// because a saved state only loads into a machine with the same devices: whatever the boot side has beyond the
/// production side must be hot-unpluggable, and is unplugged before the save.
/// </summary>
public enum DeviceProfile
{
    /// <summary>
    /// The boot server's machine: the common base plus the boot-only devices — a virtio-rng-pci (<c>bootdev</c>:
    /// entropy early in boot) and, when the spec has boot media, a read-only virtio-blk (<c>bootmedia</c>).
    /// </summary>
    BootFull,
    /// <summary>The production host's machine: only the common base (serial console, guest disk if any).</summary>
    ProductionMinimal,
}

/// <summary>The device ids each profile adds beyond the common base.</summary>
public static class DeviceProfiles
{
    /// <summary>The boot-only entropy device every BootFull machine has.</summary>
    public const string BootDeviceId = "bootdev";

    /// <summary>The read-only boot media device, present when the spec has <see cref="GuestSpec.BootMediaPath"/>.</summary>
    public const string BootMediaId = "bootmedia";

    /// <summary>The guest's own disk, on both sides.</summary>
    public const string DiskId = "disk0";

    /// <summary>The devices <see cref="QemuGuest.UnplugBootDevicesAsync"/> removes, in order.</summary>
    public static IReadOnlyList<string> BootOnlyDevices(DeviceProfile profile, GuestSpec spec) => profile switch
    {
        DeviceProfile.BootFull => spec.BootMediaPath is null ? [BootDeviceId] : [BootDeviceId, BootMediaId],
        DeviceProfile.ProductionMinimal => [],
        _ => throw new ArgumentOutOfRangeException(nameof(profile)),
    };
}
