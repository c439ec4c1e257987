namespace SwitchGate.Hypervisor.Tests;

/// <summary>The two device profiles as QEMU arguments (pure: no QEMU started).</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sgcl").FullName;

    private GuestSpec Spec(bool disk = false, bool media = false)
    {
        var kernel = Touch("vmlinuz");
        return new GuestSpec(kernel, Touch("initrd.img"), disk ? Touch("disk.raw") : null, "console=ttyS0 quiet", 128,
            BootMediaPath: media ? Touch("media.raw") : null);
    }

    private string Touch(string name)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, [0]);
        return path;
    }

    private static string Devices(IReadOnlyList<string> args) =>
        string.Join(" ", args.Select((a, i) => (a, i)).Where(x => x.a == "-device").Select(x => args[x.i + 1]));

    [Fact]
    public void Boot_side_adds_the_boot_only_devices_at_pinned_slots_and_production_side_does_not()
    {
        var spec = Spec(disk: true, media: true);
        var paths = QemuPaths.For(Path.Combine(_dir, "w"));
        var boot = QemuCommandLine.Build(spec, DeviceProfile.BootFull, Accelerator.Tcg, paths, incoming: false);
        var prod = QemuCommandLine.Build(spec, DeviceProfile.ProductionMinimal, Accelerator.Tcg, paths, incoming: true);

        Assert.Equal(
            "virtio-blk-pci,id=disk0,drive=disk0-format,bus=pci.0,addr=0x4 virtio-rng-pci,id=bootdev,bus=pci.0,addr=0x6 virtio-blk-pci,id=bootmedia,drive=bootmedia-format,bus=pci.0,addr=0x7",
            Devices(boot));
        // The guest's disk sits at the same slot on both sides: the saved state refers to it there.
        Assert.Equal("virtio-blk-pci,id=disk0,drive=disk0-format,bus=pci.0,addr=0x4", Devices(prod));
        foreach (var args in new[] { boot, prod })
        {
            Assert.Contains("-nodefaults", args);
            Assert.Equal(QemuCommandLine.MachineType, args[args.ToList().IndexOf("-machine") + 1]);
            Assert.Contains(args, a => a.StartsWith("on,") && a.Contains("spawn=deny"));
        }
        Assert.DoesNotContain("-incoming", boot);
        Assert.Equal("unix:" + paths.IncomingSocket, prod[prod.ToList().IndexOf("-incoming") + 1]);
        Assert.Equal(["bootdev", "bootmedia"], DeviceProfiles.BootOnlyDevices(DeviceProfile.BootFull, spec));
        Assert.Empty(DeviceProfiles.BootOnlyDevices(DeviceProfile.ProductionMinimal, spec));
    }

    [Fact]
    public void Disks_are_raw_blockdevs_so_a_guest_image_is_never_format_probed()
    {
        var args = QemuCommandLine.Build(Spec(disk: true, media: true), DeviceProfile.BootFull, Accelerator.Kvm, QemuPaths.For(_dir), incoming: false);
        var blockdevs = args.Select((a, i) => (a, i)).Where(x => x.a == "-blockdev").Select(x => args[x.i + 1]).ToArray();
        Assert.Equal(2, blockdevs.Length);
        Assert.All(blockdevs, b => Assert.StartsWith("{\"driver\":\"raw\"", b));
        Assert.Contains("\"read-only\":true", blockdevs[1]);
        Assert.Contains("-cpu", args);
        Assert.Equal("kvm", args[args.ToList().IndexOf("-accel") + 1]);
    }

    [Fact]
    public void Bad_specs_and_work_directories_are_refused_before_starting_anything()
    {
        var good = Spec();
        Assert.Throws<ArgumentException>(() => (good with { KernelPath = "relative/vmlinuz" }).Validated());
        Assert.Throws<ArgumentException>(() => (good with { InitrdPath = Path.Combine(_dir, "missing") }).Validated());
        Assert.Throws<ArgumentException>(() => (good with { MemoryMiB = 4 }).Validated());
        Assert.Throws<ArgumentException>(() => (good with { Cpus = 0 }).Validated());
        Assert.Throws<ArgumentException>(() => (good with { KernelCommandLine = "console=ttyS0\ninit=/bin/sh" }).Validated());
        Assert.Throws<ArgumentException>(() => (good with { KernelCommandLine = new string('a', 2049) }).Validated());
        Assert.Throws<ArgumentException>(() => QemuPaths.For("/tmp/a,b"));
        Assert.Throws<ArgumentException>(() => QemuPaths.For("/tmp/" + new string('d', 100)));
        Assert.Same(good, good.Validated());
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

/// <summary>The test guest cache is checked against its manifest before use.</summary>
public sealed class TestGuestCacheTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sgguest").FullName;

    private void Write(string name, string content) => File.WriteAllText(Path.Combine(_dir, name), content);

    private static string Sha(string content) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(content)));

    private void WriteCache(string kernel = "K", string initrd = "I", string format = TestGuest.ManifestFormat)
    {
        Write("vmlinux", kernel);
        Write("initrd.img", initrd);
        Write("manifest", $"format={format}\nmarker={TestGuest.BootMarker}\ncmdline=console=ttyS0 quiet\nkernel=vmlinux\n" +
            $"vmlinux_sha256={Sha("K")}\ninitrd_sha256={Sha("I")}\n");
    }

    [Fact]
    public void A_cache_that_matches_its_manifest_is_used()
    {
        WriteCache();
        var image = TestGuest.TryLoad(_dir);
        Assert.NotNull(image);
        Assert.Equal(Path.Combine(_dir, "vmlinux"), image.KernelPath);
        Assert.Equal("console=ttyS0 quiet", image.KernelCommandLine);
    }

    [Theory]
    [InlineData("K!", "I", TestGuest.ManifestFormat)]
    [InlineData("K", "tampered", TestGuest.ManifestFormat)]
    [InlineData("K", "I", "1")]
    public void A_tampered_or_outdated_cache_is_not_used(string kernel, string initrd, string format)
    {
        WriteCache(kernel, initrd, format);
        Assert.Null(TestGuest.TryLoad(_dir));
    }

    [Fact]
    public void A_missing_cache_is_not_used() => Assert.Null(TestGuest.TryLoad(Path.Combine(_dir, "nothing")));

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
