using System.CommandLine;
using SwitchGate.BootAgent;

// SIGTERM cancels the command's token; 'serve' then stops its job API, attestation run and guest, which can take
// longer than System.CommandLine's default of 2 s before it gives up on the command.
return await AgentCommands.Build().Parse(args)
    .InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(20) }).ConfigureAwait(false);
