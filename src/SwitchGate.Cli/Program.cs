using System.CommandLine;
using SwitchGate.Cli;

var root = new RootCommand("SwitchGate: attestation-gated top-of-rack switch control");
root.Subcommands.Add(OpenFlowCommands.Create());
root.Subcommands.Add(TpmCommands.Create());
return await root.Parse(args).InvokeAsync();
