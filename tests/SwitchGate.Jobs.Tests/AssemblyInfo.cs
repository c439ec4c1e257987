// The tests exercise Linux-only code (file modes, the agent and its TPM transports), as the product assemblies declare.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
