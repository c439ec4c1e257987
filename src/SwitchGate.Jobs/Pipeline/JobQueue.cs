using SwitchGate.Jobs.Model;

namespace SwitchGate.Jobs.Pipeline;

/// <summary>
/// Which job owns the boot server (docs/jobs.md "Queue"): one at a time, in submission order, so the images of two
/// production hosts are never on the node together. A job that owns the node keeps it; a <see cref="JobState.Ready"/>
/// job keeps it clean until its host fetched the image or <paramref name="deliveryWindow"/> passed since it became
/// ready (after that it stays downloadable, but the next job may take the node dirty).
/// </summary>
public static class JobQueue
{
    public static readonly TimeSpan DefaultDeliveryWindow = TimeSpan.FromMinutes(10);

    public static JobRecord? Active(IEnumerable<JobRecord> records, DateTimeOffset now, TimeSpan deliveryWindow)
    {
        var list = records.OrderBy(r => r.Sequence).ToList();
        if (list.FirstOrDefault(r => r.OwnsNode) is { } owner)
            return owner;
        if (list.Any(r => r.State == JobState.Ready && now - r.Since < deliveryWindow))
            return null;
        return list.FirstOrDefault(r => r.State == JobState.Queued);
    }

    /// <summary>Jobs ahead of <paramref name="record"/> (0: it owns the node or is next).</summary>
    public static int Position(IEnumerable<JobRecord> records, JobRecord record) =>
        record.State == JobState.Queued ? records.Count(r => (r.OwnsNode || r.State == JobState.Queued) && r.Sequence < record.Sequence) : 0;
}
