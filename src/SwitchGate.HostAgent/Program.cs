using SwitchGate.HostAgent;

return await HostCommands.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
