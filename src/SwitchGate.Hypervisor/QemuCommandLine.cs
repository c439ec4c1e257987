using System.Globalization;
using System.Text.Json;

namespace SwitchGate.Hypervisor;

/// <summary>The files a running QEMU uses in its work directory.</summary>
public sealed record QemuPaths(string WorkDir)
{
    /// <summary>sun_path is 108 bytes; longer socket paths fail inside QEMU with a vague message, so refuse them here.</summary>
    public const int MaxSocketPathBytes = 100;

    public string QmpSocket => Path.Combine(WorkDir, "qmp.sock");
    public string SerialLog => Path.Combine(WorkDir, "serial.log");
    public string IncomingSocket => Path.Combine(WorkDir, "incoming.sock");
    public string OutgoingSocket => Path.Combine(WorkDir, "migrate.sock");

    public static QemuPaths For(string workDir)
    {
        if (string.IsNullOrEmpty(workDir)) throw new ArgumentException("the QEMU work directory is not set", nameof(workDir));
        var full = Path.GetFullPath(workDir);
        // Commas separate QEMU option values and a colon would end the migration URI's path.
        if (full.Any(c => c is ',' or ':' || char.IsControl(c)))
            throw new ArgumentException($"the QEMU work directory must not contain ',' ':' or control characters: {full}", nameof(workDir));
        var paths = new QemuPaths(full);
        if (System.Text.Encoding.UTF8.GetByteCount(paths.OutgoingSocket) > MaxSocketPathBytes)
            throw new ArgumentException($"the QEMU work directory path is too long for a Unix socket inside it (at most {MaxSocketPathBytes - 16} bytes): {full}", nameof(workDir));
        return paths;
    }
}

/// <summary>
/// Builds QEMU's argument list (pure: the same inputs give the same list, which is what makes the two sides'
/// machines match). Every PCI device sits at a pinned slot: a device the boot side has and the production side
/// lacks must not shift the others, or the saved state would not fit.
/// </summary>
public static class QemuCommandLine
{
    public const string Binary = "qemu-system-x86_64";

    /// <summary>A versioned machine type, so that both sides build the same machine even with different QEMU versions.</summary>
    public const string MachineType = "pc-i440fx-7.2";

    // PCI slots on bus 0 (slots 0 and 1 are the host bridge and the PIIX3 functions).
    private const int DiskSlot = 4;
    private const int BootDeviceSlot = 6;
    private const int BootMediaSlot = 7;

    public static IReadOnlyList<string> Build(GuestSpec spec, DeviceProfile profile, Accelerator accelerator, QemuPaths paths, bool incoming)
    {
        var args = new List<string>
        {
            "-name", "switchgate-guest",
            "-machine", MachineType,
            "-accel", accelerator == Accelerator.Kvm ? "kvm" : "tcg",
        };
        args.AddRange(CpuArguments(accelerator));
        args.AddRange([
            "-m", spec.MemoryMiB.ToString(CultureInfo.InvariantCulture),
            "-smp", spec.Cpus.ToString(CultureInfo.InvariantCulture),
            "-nodefaults", "-no-user-config", "-display", "none",
            // The guest is untrusted: no exec, no privilege changes, no obsolete syscalls from QEMU's process.
            // spawn=deny is possible because migration goes over Unix sockets, never an exec: URI.
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
            "-kernel", spec.KernelPath,
        ]);
        if (spec.InitrdPath is not null) args.AddRange(["-initrd", spec.InitrdPath]);
        args.AddRange([
            "-append", spec.KernelCommandLine,
            "-chardev", $"file,id=serial0,path={paths.SerialLog}",
            "-serial", "chardev:serial0",
            "-chardev", $"socket,id=qmp,path={paths.QmpSocket},server=on,wait=off",
            "-mon", "chardev=qmp,mode=control",
        ]);
        if (spec.DiskPath is not null)
            AddDisk(args, DeviceProfiles.DiskId, spec.DiskPath, readOnly: false, DiskSlot);
        if (profile == DeviceProfile.BootFull)
        {
            args.AddRange(["-device", $"virtio-rng-pci,id={DeviceProfiles.BootDeviceId},bus=pci.0,addr={Slot(BootDeviceSlot)}"]);
            if (spec.BootMediaPath is not null)
                AddDisk(args, DeviceProfiles.BootMediaId, spec.BootMediaPath, readOnly: true, BootMediaSlot);
        }
        if (incoming) args.AddRange(["-incoming", $"unix:{paths.IncomingSocket}"]);
        return args;
    }

    /// <summary>
    /// Under KVM the host CPU model (its migratable subset); TCG's default model is the same on both sides. The KVM
    /// probe runs with the same arguments, so a host that refuses <c>-cpu host</c> falls back to TCG.
    /// </summary>
    public static IReadOnlyList<string> CpuArguments(Accelerator accelerator) =>
        accelerator == Accelerator.Kvm ? ["-cpu", "host"] : [];

    /// <summary>The block node behind a disk device (blockdev-del removes it after the device is gone).</summary>
    public static string NodeName(string deviceId) => deviceId + "-format";

    private static void AddDisk(List<string> args, string id, string path, bool readOnly, int slot)
    {
        // JSON -blockdev: no comma escaping of the path, and an explicit raw driver so QEMU never probes the
        // format of a guest-supplied image (a probed qcow2 could name a host file as its backing file).
        var node = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["driver"] = "raw",
            ["node-name"] = NodeName(id),
            ["read-only"] = readOnly,
            ["file"] = new Dictionary<string, object> { ["driver"] = "file", ["filename"] = path, ["read-only"] = readOnly },
        });
        args.AddRange(["-blockdev", node, "-device", $"virtio-blk-pci,id={id},drive={NodeName(id)},bus=pci.0,addr={Slot(slot)}"]);
    }

    private static string Slot(int slot) => "0x" + slot.ToString("x", CultureInfo.InvariantCulture);
}
