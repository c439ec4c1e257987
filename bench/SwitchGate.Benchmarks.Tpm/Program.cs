using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/SwitchGate.Benchmarks.Tpm -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(SwitchGate.Benchmarks.Tpm.VerifierBenchmarks).Assembly).Run(args);
