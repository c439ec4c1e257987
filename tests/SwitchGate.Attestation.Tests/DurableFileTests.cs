
namespace SwitchGate.Attestation.Tests;

public sealed class DurableFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sg-durable-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Replaces_the_whole_file_and_leaves_no_temporary_file_behind()
    {
        var path = Path.Combine(_dir, "bs1.json");
        DurableFile.WriteAllBytes(path, "old, and longer than the new content"u8);
        DurableFile.WriteAllBytes(path, "new"u8);
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(["bs1.json"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_secret_file_is_created_readable_by_its_owner_only()
    {
        var path = Path.Combine(_dir, "secret.json");
        DurableFile.WriteAllBytes(path, "s"u8, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void A_missing_directory_is_an_error_and_creates_nothing()
    {
        var path = Path.Combine(_dir, "missing", "x.json");
        Assert.Throws<DirectoryNotFoundException>(() => DurableFile.WriteAllBytes(path, "x"u8));
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing")));
    }
}
