using System.CommandLine;

namespace SwitchGate.Cli;

/// <summary>`switchgate controller ...`: run the OpenFlow controller daemon.</summary>
internal static class ControllerCommands
{
    public static Command Create() => new("controller", "Run the SwitchGate controller");
}
