namespace SwitchGate.LoadGen;

internal sealed record PolicyInstallOptions(string Bridge, int Flows, int Rounds, int Port)
{
    public static PolicyInstallOptions Parse(Args a)
    {
        var o = new PolicyInstallOptions(a.OptionalString("--bridge") ?? throw new UsageException("--bridge is required"),
            a.Int("--flows", 100_000, 1, 10_000_000), a.Int("--rounds", 2, 1, 20), a.Int("--port", 0, 0, 65535));
        a.EnsureAllUsed();
        return o;
    }
}

internal static class PolicyInstall
{
    public static Task<int> RunAsync(PolicyInstallOptions o) => Task.FromResult(1);
}
