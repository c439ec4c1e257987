using System.CommandLine;

namespace SwitchGate.Cli;

/// <summary>`switchgate demo`: the main job on the default topology, as a readable report.</summary>
internal static class DemoCommand
{
    public static Command Create() => new("demo", "Run the main job on the default topology");
}
