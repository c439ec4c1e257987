using System.Reflection;

namespace SwitchGate.Operations.Tests;

/// <summary>The repository and the CLI built in the same configuration (SWITCHGATE_CLI_DLL overrides).</summary>
internal static class Paths
{
    public static string Root { get; } = FindRoot();

    private static string Configuration =>
        typeof(Paths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string CliDll =>
        Environment.GetEnvironmentVariable("SWITCHGATE_CLI_DLL") ?? Path.Combine(Root, "src", "SwitchGate.Cli", "bin", Configuration, "net10.0", "switchgate.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SwitchGate.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no SwitchGate.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>A temporary directory removed at the end of the test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("sg-ops-test-").FullName;

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
