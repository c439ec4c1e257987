// Every test builds a whole rack (OVS bridge, namespaces, swtpm per boot server, agents, a controller): on a
// shared 2-core machine one at a time is kinder and keeps the lease timings steady.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
