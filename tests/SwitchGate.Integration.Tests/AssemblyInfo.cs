// These tests build real namespaces and OVS bridges and run a controller and tshark; on a
// shared 2-core machine one at a time is both kinder and steadier. Names and ports are unique
// per run anyway (TopologyNames, ephemeral ports), so enabling parallelism would be safe.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
