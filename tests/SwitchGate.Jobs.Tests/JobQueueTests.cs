using SwitchGate.Jobs.Model;
using SwitchGate.Jobs.Pipeline;

namespace SwitchGate.Jobs.Tests;

public sealed class JobQueueTests
{
    private static readonly DateTimeOffset T0 = Samples.T0;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    [Fact]
    public void Jobs_of_two_hosts_run_one_at_a_time_in_submission_order()
    {
        var a = Samples.Record(JobState.Queued, 1, "10.0.0.100");
        var b = Samples.Record(JobState.Queued, 2, "10.0.0.1");
        Assert.Same(a, JobQueue.Active([b, a], T0, Window));
        var aBooting = a.Enter(JobState.Booting, T0);
        Assert.Same(aBooting, JobQueue.Active([b, aBooting], T0, Window));
        Assert.Equal(1, JobQueue.Position([b, aBooting], b));
        var aFailed = a.Enter(JobState.Failed, T0);
        Assert.Same(b, JobQueue.Active([b, aFailed], T0, Window));
    }

    [Fact]
    public void A_ready_job_keeps_the_node_clean_for_its_host_until_delivered_or_the_window_ends()
    {
        var ready = Samples.Record(JobState.Queued, 1).Enter(JobState.Ready, T0);
        var next = Samples.Record(JobState.Queued, 2, "10.0.0.1");
        Assert.Null(JobQueue.Active([ready, next], T0.AddMinutes(1), Window));
        Assert.Same(next, JobQueue.Active([ready, next], T0.AddMinutes(11), Window));
        Assert.True(JobPipeline.TryDeliver(ready, T0.AddMinutes(2), out var delivered));
        Assert.Same(next, JobQueue.Active([delivered, next], T0.AddMinutes(2), Window));
    }

    [Fact]
    public void A_job_still_receiving_is_never_active()
    {
        Assert.Null(JobQueue.Active([Samples.Record(JobState.Receiving)], T0, Window));
    }
}
