using System.Collections.Concurrent;
using SwitchGate.Attestation;

namespace SwitchGate.Gate.Policy;

/// <summary>
/// Counters of the gate (docs/gate.md "Counters"), safe to read from any thread. Verdicts are counted by
/// (kind, reason), dropped frames by <see cref="DropReason"/>, malformed frames by the codec's <see cref="FormatError"/>.
/// </summary>
public sealed class GateCounters
{
    private readonly ConcurrentDictionary<(VerdictKind, ReasonCode), long> _verdicts = new();
    private readonly ConcurrentDictionary<DropReason, long> _dropped = new();
    private readonly ConcurrentDictionary<FormatError, long> _malformed = new();
    private long _frames;
    private long _challenges;
    private long _installFailures;

    public long Frames => Interlocked.Read(ref _frames);
    public long Challenges => Interlocked.Read(ref _challenges);
    public long InstallFailures => Interlocked.Read(ref _installFailures);

    public IReadOnlyDictionary<(VerdictKind Kind, ReasonCode Reason), long> Verdicts => new Dictionary<(VerdictKind, ReasonCode), long>(_verdicts);
    public IReadOnlyDictionary<DropReason, long> Dropped => new Dictionary<DropReason, long>(_dropped);
    public IReadOnlyDictionary<FormatError, long> MalformedByError => new Dictionary<FormatError, long>(_malformed);

    public long Verdict(VerdictKind kind, ReasonCode reason) => _verdicts.GetValueOrDefault((kind, reason));
    public long Drops(DropReason reason) => _dropped.GetValueOrDefault(reason);
    public long TotalDropped => _dropped.Values.Sum();

    internal void CountFrame() => Interlocked.Increment(ref _frames);
    internal void CountChallenge() => Interlocked.Increment(ref _challenges);
    internal void CountInstallFailure() => Interlocked.Increment(ref _installFailures);
    internal void CountVerdict(VerdictKind kind, ReasonCode reason) => _verdicts.AddOrUpdate((kind, reason), 1, (_, n) => n + 1);
    internal void CountDrop(DropReason reason) => _dropped.AddOrUpdate(reason, 1, (_, n) => n + 1);

    internal void CountMalformed(FormatError error)
    {
        CountDrop(DropReason.Malformed);
        _malformed.AddOrUpdate(error, 1, (_, n) => n + 1);
    }
}
