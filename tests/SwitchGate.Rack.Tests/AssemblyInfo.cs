// Every test builds a whole rack (OVS bridge, namespaces, swtpm per boot server, agents, a controller): on a
// shared 2-core machine one at a time is kinder and keeps the lease timings steady.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The rack drives the Linux-only agent and its TPM transports, as the product assemblies declare.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
