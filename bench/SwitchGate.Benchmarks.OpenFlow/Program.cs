using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/SwitchGate.Benchmarks.OpenFlow -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(SwitchGate.Benchmarks.OpenFlow.CodecBenchmarks).Assembly).Run(args);
