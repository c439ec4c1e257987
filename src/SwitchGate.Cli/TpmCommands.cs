using System.CommandLine;

namespace SwitchGate.Cli;

/// <summary>`switchgate tpm ...`: TPM 2.0 tools (quote verification).</summary>
internal static class TpmCommands
{
    public static Command Create() => new("tpm", "TPM 2.0 tools");
}
