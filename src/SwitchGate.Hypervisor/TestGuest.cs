using System.Security.Cryptography;
using SwitchGate.Topology;

namespace SwitchGate.Hypervisor;

/// <summary>The test guest built by <c>scripts/lib/guest.sh</c> (<c>sg_build_guest</c>): a Debian kernel and a busybox initramfs.</summary>
/// <param name="Directory">The cache directory holding vmlinuz, initrd.img and manifest.</param>
public sealed record TestGuestImage(string Directory, string KernelPath, string InitrdPath, string KernelCommandLine)
{
    /// <summary>A spec for this guest (the same on both sides of a save/resume).</summary>
    public GuestSpec ToSpec(int memoryMiB = TestGuest.DefaultMemoryMiB, string? diskPath = null, string? bootMediaPath = null) =>
        new(KernelPath, InitrdPath, diskPath, KernelCommandLine, memoryMiB, 1, bootMediaPath);
}

/// <summary>
/// Finds the test guest in its cache (<c>SG_GUEST_CACHE</c>, default <c>/var/cache/switchgate/guest</c>), checking
/// the manifest's SHA-256s, or builds it by running <c>sg_build_guest</c> from the repository's scripts.
/// Its /init prints <see cref="BootMarker"/> on ttyS0, then <c>counter=N pci=M</c> about every 0.2 s.
/// </summary>
public static class TestGuest
{
    public const string BootMarker = "SWITCHGATE-GUEST-BOOTED";
    public const string CacheVariable = "SG_GUEST_CACHE";
    public const string DefaultCache = "/var/cache/switchgate/guest";

    /// <summary>The manifest version sg_build_guest writes (SG_GUEST_FORMAT in guest.sh).</summary>
    public const string ManifestFormat = "3";

    /// <summary>Enough for the kernel and the busybox initramfs; small enough that a save takes a fraction of a second.</summary>
    public const int DefaultMemoryMiB = 128;

    private static readonly SemaphoreSlim BuildLock = new(1, 1);

    public static string CacheDirectory =>
        Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } dir ? Path.GetFullPath(dir) : DefaultCache;

    /// <summary>The cached guest, building it first when the cache is missing or does not match its manifest.</summary>
    public static async Task<TestGuestImage> LocateAsync(CancellationToken ct = default)
    {
        await BuildLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (TryLoad(CacheDirectory) is { } cached) return cached;
            var script = FindScript() ?? throw new QemuException(
                $"the test guest is not in {CacheDirectory} and scripts/lib/guest.sh was not found above {AppContext.BaseDirectory}");
            var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(script)!, "..", ".."));
            await CommandRunner.RunAsync("bash", ["-c", "source \"$0/scripts/lib/setup.sh\" && sg_build_guest", root], TimeSpan.FromMinutes(10), ct)
                .ConfigureAwait(false);
            return TryLoad(CacheDirectory) ?? throw new QemuException($"sg_build_guest ran but {CacheDirectory} holds no valid guest");
        }
        finally
        {
            BuildLock.Release();
        }
    }

    /// <summary>Synchronous <see cref="LocateAsync"/>.</summary>
    public static TestGuestImage Locate() => LocateAsync().GetAwaiter().GetResult();

    /// <summary>The guest in <paramref name="directory"/> if its files match the manifest, else null.</summary>
    public static TestGuestImage? TryLoad(string directory)
    {
        var manifestPath = Path.Combine(directory, "manifest");
        if (!File.Exists(manifestPath)) return null;
        var manifest = File.ReadLines(manifestPath).Take(64)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First()[1]);
        if (manifest.GetValueOrDefault("format") != ManifestFormat) return null;
        // "kernel" names the file to boot: vmlinux (the unpacked ELF, PVH entry) when the build could unpack it.
        if (manifest.GetValueOrDefault("kernel") is not ("vmlinux" or "vmlinuz") || manifest.GetValueOrDefault("marker") != BootMarker
            || !manifest.TryGetValue("cmdline", out var cmdline))
            return null;
        var kernel = Path.Combine(directory, manifest["kernel"]);
        var initrd = Path.Combine(directory, "initrd.img");
        if (!Matches(kernel, manifest.GetValueOrDefault(manifest["kernel"] + "_sha256"))
            || !Matches(initrd, manifest.GetValueOrDefault("initrd_sha256")))
            return null;
        return new TestGuestImage(Path.GetFullPath(directory), Path.GetFullPath(kernel), Path.GetFullPath(initrd), cmdline);
    }

    private static string? FindScript()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var script = Path.Combine(dir.FullName, "scripts", "lib", "guest.sh");
                if (File.Exists(script)) return script;
            }
        }
        return null;
    }

    private static bool Matches(string path, string? sha256)
    {
        if (sha256 is null || !File.Exists(path)) return false;
        using var file = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(file)) == sha256;
    }
}
