using SwitchGate.BootAgent;

return await AgentCommands.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
