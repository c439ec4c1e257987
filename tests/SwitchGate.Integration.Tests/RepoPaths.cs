using System.Reflection;

namespace SwitchGate.Integration.Tests;

/// <summary>Finds the repository and the built CLI from the test assembly's location.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Debug or Release: the configuration this test assembly was built in.</summary>
    public static string Configuration { get; } =
        typeof(RepoPaths).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    /// <summary>
    /// The CLI built in the same configuration (the project reference makes the build produce
    /// it); <c>SWITCHGATE_CLI_DLL</c> overrides.
    /// </summary>
    public static string CliDll
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("SWITCHGATE_CLI_DLL")
                ?? Path.Combine(Root, "src", "SwitchGate.Cli", "bin", Configuration, "net10.0", "switchgate.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"the switchgate CLI is not built: {path}");
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SwitchGate.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no SwitchGate.sln above {AppContext.BaseDirectory}");
    }
}
