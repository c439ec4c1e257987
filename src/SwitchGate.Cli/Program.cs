using System.CommandLine;
using SwitchGate.Cli;

var root = new RootCommand("SwitchGate: attestation-gated top-of-rack switch control");
root.Subcommands.Add(OpenFlowCommands.Create());
root.Subcommands.Add(TpmCommands.Create());
root.Subcommands.Add(ControllerCommands.Create());
root.Subcommands.Add(TopologyCommands.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(EnrolmentCommands.Create());
// The operator's commands against a running controller's API (docs/operations.md "CLI").
foreach (var command in ApiCommands.Create())
    root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
