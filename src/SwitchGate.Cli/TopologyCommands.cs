using System.CommandLine;

namespace SwitchGate.Cli;

/// <summary>`switchgate topology ...`: build and tear down test-rack topologies.</summary>
internal static class TopologyCommands
{
    public static Command Create() => new("topology", "Build and tear down test-rack topologies");
}
