using System.CommandLine;

namespace SwitchGate.Cli;

/// <summary>`switchgate openflow ...`: decode and round-trip OpenFlow 1.3 messages.</summary>
internal static class OpenFlowCommands
{
    public static Command Create() => new("openflow", "OpenFlow 1.3 message tools");
}
