using SwitchGate.Jobs.Model;

namespace SwitchGate.Jobs.Tests;

internal static class Samples
{
    public static readonly string Hex64 = new('a', 64);

    public static BootJob Job(TimeSpan? deadline = null) => new(
        new FileDigest(1234, Hex64), new FileDigest(99, new string('b', 64)), null,
        "console=ttyS0 quiet", 128, "SWITCHGATE-GUEST-BOOTED", deadline ?? TimeSpan.FromSeconds(60));

    public static SecondImage Manifest(string id = "j1-abcd") => new(id, new FileDigest(4096, Hex64), null, Hex64, null,
        "console=ttyS0", 128, "SWITCHGATE-GUEST-BOOTED", "tcg", new DateTimeOffset(2026, 12, 4, 15, 0, 0, TimeSpan.Zero), "counter=41");

    public static readonly DateTimeOffset T0 = new(2026, 12, 4, 15, 0, 0, TimeSpan.Zero);

    public static JobRecord Record(JobState state = JobState.Queued, long sequence = 1, string submitter = "10.0.0.100", string? id = null) =>
        new(id ?? $"j{sequence}-0000", submitter, sequence, state, TimeSpan.FromSeconds(30), 0, null, null, [new PhaseEntry(state, T0)]);
}
